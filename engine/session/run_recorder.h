#pragma once
// Records one generation run of one prompt step by step: the token each step chose and the
// whole distribution it was chosen from (the logits), for the comparison of two runs
// (run_comparison.h, docs/DEBUGGER.md "Comparing two runs").
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/events.h"
#include "core/result.h"
#include "model/model.h"
#include "session/generation_session.h"

namespace kvs {

// One step of a recorded run. Step 0 is the prefill (it chooses the token at the prompt's
// length); step k chooses the token at position prompt + k.
struct RecordedStep {
    int token = -1;                                // the token the step chose
    std::string label;                             // its printable label
    std::string text;                              // the bytes it adds to the text
    std::vector<float> logits;                     // vocab values, before any sampling filter
    std::vector<TokenProbability> top;             // most likely tokens at temperature 1
    std::vector<TokenProbability> top_filtered;    // what the sampler drew from (temperature, top-k, top-p)
};

struct RecordedRun {
    std::string description;      // "cpu, cache, greedy": what distinguishes the run
    std::string model;            // the model's source
    std::string backend;          // the backend that ran ("cpu", "vulkan")
    std::string device;
    bool use_cache = true;
    SamplingOptions sampling;
    int vocab_size = 0;
    std::vector<int> prompt;      // prompt ids (BOS included)
    std::vector<std::string> prompt_labels;
    std::vector<RecordedStep> steps;
    std::string stop_reason;      // "limit", "eos", "context", "cancelled"
};

// "cpu, cache, greedy" / "vulkan, no cache, T 0.8 top-p 0.9 seed 7": the settings of a run in words.
std::string describe_run_settings(const std::string& backend, const SessionOptions& options);

// Runs `prompt_ids` for up to max_new_tokens steps on `backend` with `options` (its keep_logits
// and top_report are set here: top_k tokens per step) and records every step. A set `cancel`
// stops it between two steps (stop_reason "cancelled"); `on_step` hears the number of steps
// recorded after each one.
Result<RecordedRun> record_run(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                               SessionOptions options, const std::vector<int>& prompt_ids, int max_new_tokens,
                               int top_k = 10, const std::atomic<bool>* cancel = nullptr,
                               const std::function<void(int steps)>& on_step = {});

}  // namespace kvs
