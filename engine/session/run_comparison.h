#pragma once
// Two recorded runs of one prompt side by side (docs/DEBUGGER.md "Comparing two runs"): the
// first step whose chosen token differs, and at every step both runs made, how far apart the
// two distributions are. Works on any pair of runs that share a vocabulary: cache against no
// cache, two sampling settings, CPU against Vulkan, two models with one tokenizer.
#include <string>
#include <vector>

#include "core/events.h"
#include "core/result.h"
#include "session/run_recorder.h"

namespace kvs {

// Step k of both runs. With a = logits of run A, b = those of run B (vocabulary V), and
// p = softmax(a), q = softmax(b) at temperature 1 (the model's own distributions, before any
// sampling filter):
struct StepDifference {
    int step = 0;
    int position = 0;             // the position whose token the step chose: prompt + step
    int token_a = -1;
    int token_b = -1;
    bool same_context = true;     // both runs fed the same tokens before this step
    double max_abs_logit = 0.0;   // max over i of |a_i - b_i|
    double kl = 0.0;              // KL(p || q) = sum_i p_i (ln p_i - ln q_i), nats
    double total_variation = 0.0; // 0.5 sum_i |p_i - q_i|, in [0, 1]
};

struct RunComparison {
    std::string description_a, description_b;   // each run's settings in words
    std::vector<int> prompt;
    std::vector<std::string> prompt_labels;
    std::vector<int> tokens_a, tokens_b;         // the generated tokens of each run
    std::vector<std::string> labels_a, labels_b; // their printable labels
    std::vector<std::string> texts_a, texts_b;   // the bytes each adds to the text
    std::string stop_reason_a, stop_reason_b;
    int common_steps = 0;                        // steps both runs made
    // The first step whose chosen tokens differ; -1 when the runs agree on every common step.
    int first_divergence = -1;
    std::vector<StepDifference> steps;           // one per common step
    // The largest max_abs_logit over the steps both runs took from the same context (up to and
    // including the divergence): what the backends or settings alone change.
    double max_abs_logit_same_context = 0.0;
    double max_kl_same_context = 0.0;
    // The step whose two distributions are shown: the divergence, or with none the step of the
    // largest max_abs_logit (-1 when no step was made).
    int focus_step = -1;
    std::vector<TokenProbability> top_a, top_b;            // at focus_step, temperature 1
    std::vector<TokenProbability> filtered_a, filtered_b;  // at focus_step, what each sampler drew from
};

// Fails when the runs cannot be compared: different prompts (as token ids) or vocabularies, or
// a step without its logits.
Result<RunComparison> compare_runs(const RecordedRun& a, const RecordedRun& b);

// The same differences for one pair of logit vectors of equal length (the comparison's one place
// for these formulas). Fails on empty or unequal lengths.
Result<StepDifference> logit_difference(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace kvs
