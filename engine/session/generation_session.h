#pragma once
// One generation run: tokenize the prompt, prefill, decode step by step, sample, stop; emits
// the events of every step to an observer. Used by the CLI and, on its own thread, by the GUI.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend.h"
#include "core/events.h"
#include "core/result.h"
#include "model/model.h"
#include "model/sampler.h"

namespace kvs {

struct SessionOptions {
    SamplingOptions sampling;
    bool use_cache = true;        // false: every step recomputes the whole sequence
    AttentionCapture capture;
    int top_report = 5;           // top-k probabilities reported with each step
    bool emit_op_costs = true;    // OpCostEvent per op per step
};

struct StepResult {
    int token = -1;
    bool stopped = false;         // the run is over (eos, limit or context)
};

class GenerationSession {
public:
    GenerationSession(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                      SessionOptions options, EventObserver* observer = nullptr);

    // Sets the prompt (tokenized with BOS as the model wants) and emits RunStarted.
    Status start(std::string_view prompt);
    Status start_ids(std::vector<int> prompt_ids);

    // Prefill: the whole prompt in one pass; samples the first new token.
    Result<StepResult> prefill();
    // One decode step (runs the prefill first if it has not run yet).
    Result<StepResult> step();
    // Steps until max_new_tokens new tokens, a stop token, the context limit or cancel.
    Status run(int max_new_tokens, const std::atomic<bool>* cancel = nullptr);
    // Emits RunFinished (once).
    void finish(const std::string& reason);

    const std::vector<int>& tokens() const { return tokens_; }  // prompt + generated
    int prompt_length() const { return prompt_length_; }
    int generated() const { return int(tokens_.size()) - prompt_length_; }
    bool finished() const { return finished_; }
    const std::string& stop_reason() const { return stop_reason_; }
    const Model& model() const { return *model_; }
    const Backend& backend() const { return *backend_; }
    const SessionOptions& options() const { return options_; }
    // Text of the generated tokens only.
    std::string generated_text() const;

private:
    Result<StepResult> compute_step(Phase phase);
    void publish(const Event& e);
    void emit_kv_events(int first_pos, int n_positions);
    void emit_attention_events(const ForwardOutput& out);
    void emit_cost_events(int first_pos, int n_positions, const ForwardOutput& out);
    std::string label(int id) const;
    bool is_stop_token(int id) const;

    std::shared_ptr<const Model> model_;
    std::unique_ptr<Backend> backend_;
    SessionOptions options_;
    EventObserver* observer_;
    Sampler sampler_;
    std::vector<int> tokens_;
    int prompt_length_ = 0;
    int step_index_ = 0;
    bool prefilled_ = false;
    bool finished_ = false;
    bool run_finished_emitted_ = false;
    std::string stop_reason_;
    double elapsed_ms_ = 0.0;
    std::map<std::pair<int, int>, std::vector<float>> full_attention_;  // Full capture: (layer, head) -> [keys, keys]
};

}  // namespace kvs
