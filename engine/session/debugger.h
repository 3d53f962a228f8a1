#pragma once
// The step-through generation debugger (docs/DEBUGGER.md): a generation session of one prompt
// that can stop at breakpoints, go back to any earlier step, force a token, and keep every
// continuation tried as a branch of a tree. Branches are sequences of the KV block pool that
// share the blocks of their common prefix (reference counts); going back frees the blocks past
// the new end and recomputes nothing before it.
//
// It observes its session's events (keeping a record of every step of each branch and checking
// breakpoints after each step) and passes them on to its own observer, adding Rewound and
// BreakpointHit.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "core/result.h"
#include "session/breakpoint.h"
#include "session/logit_lens.h"
#include "session/generation_session.h"

namespace kvs {

// One step of a branch, as the debugger shows it.
struct StepRecord {
    StepFinished step;          // tokens and probabilities before and after the filters, entropy, timings
    int cache_length = 0;       // positions the sequence's cache holds after the step
    int blocks = 0;             // its block table
    std::int64_t bytes_held = 0;  // its blocks x block bytes
};

// A branch as the tree shows it.
struct BranchInfo {
    int id = 0;
    int parent = -1;            // -1: the first branch
    int fork_step = 0;          // steps it shares with its parent (the parent's tokens before that step)
    bool active = false;
    int sequence = 0;           // its sequence in the KV pool
    int steps = 0;              // steps run
    std::vector<int> tokens;    // prompt and generated
    std::string text;           // generated text
    std::map<int, int> forced;  // step -> token imposed there
    std::string stop_reason;    // "" while open
    int blocks = 0;             // its block table
    int own_blocks = 0;         // held by no other sequence: what dropping it returns
    int shared_blocks = 0;      // shared with other branches (or cached prefixes)
    std::int64_t own_bytes = 0;
    std::int64_t shared_bytes = 0;
};

// Why a run or a number of steps ended.
struct DebugStop {
    enum class Cause { Breakpoint, Steps, Limit, Finished, Cancelled };
    Cause cause = Cause::Steps;
    int step = 0;               // the last step run (-1 when none ran)
    std::string reason;         // "breakpoint 2 (entropy>2.5): entropy 2.71", "eos", "limit", ...
    int breakpoint = -1;        // id of the breakpoint hit
};
const char* to_string(DebugStop::Cause c);

class Debugger : public EventObserver {
public:
    Debugger(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend, SessionOptions options,
             EventObserver* observer = nullptr);

    // A new run (branch 0) of one prompt; earlier branches are dropped. Breakpoints stay.
    Status start(std::string_view prompt);
    Status start_ids(std::vector<int> prompt_ids);

    // Steps until a breakpoint is hit, the active branch has max_new_tokens new tokens, it ends
    // (stop token, context) or `cancel` is set.
    Result<DebugStop> run(int max_new_tokens, const std::atomic<bool>* cancel = nullptr);
    // At most `steps` steps, stopping at breakpoints like run().
    Result<DebugStop> step(int steps = 1);

    // Goes back to just before `step` on the active branch (GenerationSession::rewind). With
    // keep_branch (the default) and steps past it, the old continuation stays as it was and
    // the rewound run becomes a new branch, its child; otherwise the steps past it are dropped.
    Status rewind(int step, bool keep_branch = true);
    // The next step takes `token` instead of the sampler's choice.
    Status force(int token);
    // The next steps take the tokens of `text` (tokenized without BOS), one per step. Returns
    // how many tokens that is.
    Result<int> force_text(const std::string& text);
    // A new branch from `branch` just before its step `step`, made active.
    Result<int> branch(int from, int step);
    Status switch_branch(int id);
    // Drops a branch that is not active; its blocks no other branch holds return to the pool.
    // Its children hang from its parent from then on.
    Status drop_branch(int id);

    int add_breakpoint(Breakpoint b);  // returns its id (b.id is ignored)
    Status enable_breakpoint(int id, bool enabled);
    Status remove_breakpoint(int id);
    const std::vector<Breakpoint>& breakpoints() const { return breakpoints_; }

    int active_branch() const { return active_; }
    std::vector<BranchInfo> branches() const;
    BranchInfo branch_info(int id) const;
    bool has_branch(int id) const { return nodes_.count(id) != 0; }
    // The active branch's steps, indexed by step.
    const std::vector<StepRecord>& records() const { return nodes_.at(active_).records; }
    const std::vector<StepRecord>& records(int branch) const { return nodes_.at(branch).records; }

    // The logit lens of `step` of the active branch: what each layer's residual stream predicted
    // for the token that step chose, from a pass over the tokens fed up to it on a backend of its
    // own (the debugger's cache is left alone): `backend` ("cpu", "vulkan") with `options`' device
    // and threads.
    Result<LogitLens> logit_lens(int step, int top_k = 5, const std::string& backend = "cpu",
                                 const BackendOptions& options = {}) const;

    GenerationSession& session() { return session_; }
    const GenerationSession& session() const { return session_; }
    const Model& model() const { return session_.model(); }

    void on_event(const Event& event) override;

private:
    struct Node {
        int id = 0;
        int parent = -1;
        int fork_step = 0;
        std::optional<GenerationSession::Parked> parked;  // empty while active
        std::vector<StepRecord> records;
        std::map<int, int> forced;
    };
    Result<DebugStop> advance(int max_steps, int max_new_tokens, const std::atomic<bool>* cancel);
    Status restart();
    void forward(const Event& e);
    void update_capture();
    const GenerationSession::Sequence& sequence_of(const Node& n) const;

    EventObserver* observer_;
    GenerationSession session_;
    AttentionCapture base_capture_;
    std::map<int, Node> nodes_;
    int active_ = 0;
    int next_branch_ = 0;
    std::vector<Breakpoint> breakpoints_;
    int next_breakpoint_ = 1;
    std::vector<int> pending_forced_;  // forced tokens of the next steps, in order

    // Gathered while a step runs, for its record and its breakpoints.
    KvAppend last_kv_;
    std::map<std::pair<int, int>, std::vector<float>> last_rows_;
    std::optional<DebugStop> hit_;
};

}  // namespace kvs
