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
#include <cstdint>
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
    bool keep_logits = false;     // keep the logits of each pass's first sequence: last_logits()
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
    const std::shared_ptr<const Model>& shared_model() const { return model_; }
    const Backend& backend() const { return *backend_; }
    const SessionOptions& options() const { return options_; }
    // Text of the generated tokens only.
    std::string generated_text(int i = 0) const;
    // With SessionOptions::keep_logits: the logits (vocab values) the last pass computed for the
    // first sequence it ran (a run of one prompt: its only one); empty before the first step.
    // The comparison of two runs reads them (run_recorder.h).
    const std::vector<float>& last_logits() const { return last_logits_; }

    // One sequence's state. Public so that a parked branch (below) can hold one.
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
        std::vector<std::uint64_t> sampler_states;  // the generator before each step's draw, by step
        int forced = -1;          // token the next step takes instead of the sampler's (-1: none)
    };

    // Debugging, on runs of one sequence (docs/DEBUGGER.md).
    //
    // Goes back to just before step `step` (0: before the prefill): the tokens past
    // prompt + step go, the cache keeps the positions of the tokens before the last one kept
    // (blocks past them return to the pool; nothing is recomputed), the sampler's generator is
    // as it was before that step's draw, and the run is open again. The next step recomputes
    // step `step` exactly as it ran before (greedy or with the same random draw). Emits the
    // pool's block events and Rewound.
    Status rewind(int step);
    // The next step takes `token` instead of the sampler's choice. The generator still draws,
    // so that every later step draws what it would have drawn.
    Status force_next(int token);
    int step_index() const { return step_index_; }  // the next step to run
    const Sequence& active() const { return seqs_.front(); }
    // A narrower or wider attention capture from the next step on.
    void set_capture(const AttentionCapture& capture) { options_.capture = capture; }

    // A whole run, parked while another branch is active. Its cache is a sequence of the pool
    // that shares blocks with the other branches (reference counted).
    struct Parked {
        Sequence seq;
        int step_index = 0;
        bool prefilled = false;
        bool finished = false;
        bool run_finished_emitted = false;
        std::string stop_reason;
    };
    // A copy of the active run whose cache is a fork of the active sequence's: every block
    // shared, nothing copied until one of them writes into a shared block.
    Result<Parked> fork_active();
    // Makes `run` the active run; returns the one that was active.
    Parked swap_active(Parked run);
    // Gives a parked run's blocks back to the pool (those no other branch holds are freed).
    void release(const Parked& run);


private:
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
    std::vector<float> last_logits_;
};

}  // namespace kvs
