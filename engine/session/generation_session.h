#pragma once
// One generation run over one or several prompts (one sequence each, sharing the backend's KV
// block pool): tokenize, prefill, decode step by step, sample, stop; emits the events of every
// step to an observer. Used by the CLI and, on its own thread, by the GUI.
//
// A decode step feeds the newest token of every unfinished sequence in one forward pass (one
// GEMM of N rows). The prefill is one pass over all prompts, except with the prefix cache on:
// then each prompt is prefilled in its own pass, in order, so that later prompts reuse the
// blocks of earlier ones.
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
    SamplingOptions sampling;     // every sequence samples with these (and this seed) on its own
    bool use_cache = true;        // false: every step recomputes the whole sequence
    AttentionCapture capture;
    int top_report = 5;           // top-k probabilities reported with each step
    bool emit_op_costs = true;    // OpCostEvent per op per step
};

struct StepResult {
    int token = -1;               // the first sequence's new token (-1 if it made none)
    bool stopped = false;         // the run is over (every sequence ended: eos, limit or context)
    std::vector<int> tokens;      // each sequence's new token, -1 for those that made none
};

class GenerationSession {
public:
    GenerationSession(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                      SessionOptions options, EventObserver* observer = nullptr);

    // Sets the prompts (tokenized with BOS as the model wants) and emits RunStarted.
    Status start(std::string_view prompt);
    Status start_ids(std::vector<int> prompt_ids);
    Status start_many(const std::vector<std::string>& prompts);
    Status start_ids_many(std::vector<std::vector<int>> prompts);

    // Prefill of every prompt; samples each sequence's first new token.
    Result<StepResult> prefill();
    // One decode step of every unfinished sequence (runs the prefill first if it has not run yet).
    Result<StepResult> step();
    // Steps until every sequence has max_new_tokens new tokens, a stop token or the context
    // limit, or until cancelled.
    Status run(int max_new_tokens, const std::atomic<bool>* cancel = nullptr);
    // Emits RunFinished (once).
    void finish(const std::string& reason);

    int sequences() const { return int(seqs_.size()); }
    int sequence_id(int i) const { return seqs_[std::size_t(i)].id; }  // its id in the KV pool
    const std::vector<int>& tokens(int i = 0) const { return seqs_[std::size_t(i)].tokens; }  // prompt + generated
    int prompt_length(int i = 0) const { return seqs_[std::size_t(i)].prompt_length; }
    int generated(int i = 0) const { return int(tokens(i).size()) - prompt_length(i); }
    int reused_tokens(int i) const { return seqs_[std::size_t(i)].reused; }  // prefix cache hit
    bool finished() const { return finished_; }
    // The run's reason (the first sequence's), and each sequence's.
    const std::string& stop_reason() const { return stop_reason_; }
    const std::string& stop_reason(int i) const { return seqs_[std::size_t(i)].stop_reason; }
    const Model& model() const { return *model_; }
    const Backend& backend() const { return *backend_; }
    const SessionOptions& options() const { return options_; }
    // Text of the generated tokens only.
    std::string generated_text(int i = 0) const;

private:
    struct Sequence {
        int id = 0;
        std::vector<int> tokens;
        int prompt_length = 0;
        int reused = 0;           // prompt positions taken from the prefix cache
        bool prefilled = false;
        bool done = false;
        std::string stop_reason;
        Sampler sampler;
        std::map<std::pair<int, int>, std::vector<float>> full_attention;  // Full capture: (layer, head) -> [keys, keys]
    };

    Result<StepResult> compute_step(Phase phase, const std::vector<std::size_t>& batch);
    void attach_prefix(Sequence& s);
    void publish(const Event& e);
    void publish_block_events();
    void emit_kv_events(const Sequence& s, int first_pos, int n_positions, const KvPoolUsage& usage);
    void emit_attention_events(const ForwardOutput& out);
    void emit_cost_events(const Sequence& s, int first_pos, int n_positions, const ForwardOutput& out);
    std::string label(int id) const;
    bool is_stop_token(int id) const;
    Sequence* find(int id);

    std::shared_ptr<const Model> model_;
    std::unique_ptr<Backend> backend_;
    SessionOptions options_;
    EventObserver* observer_;
    std::vector<Sequence> seqs_;
    int step_index_ = 0;
    bool prefilled_ = false;
    bool finished_ = false;
    bool run_finished_emitted_ = false;
    std::string stop_reason_;
    double elapsed_ms_ = 0.0;
};

}  // namespace kvs
