#pragma once
// The per-step events of a generation run: plain value structs, copyable, with no pointers
// into engine memory. The schema is documented in docs/EVENTS.md; bump the version when a
// field changes meaning.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/backend.h"
#include "core/op_kind.h"
#include "kv/kv_layout.h"
#include "kv/kv_usage.h"
#include "model/model_config.h"

namespace kvs {

inline constexpr int kEventSchemaVersion = 2;

enum class Phase { Prefill, Decode };
inline const char* to_string(Phase p) { return p == Phase::Prefill ? "prefill" : "decode"; }

// One sequence of a run: a prompt and what is generated after it.
struct SequenceStart {
    int sequence = 0;  // its id in the KV pool (the `sequence` of every later event about it)
    std::vector<int> prompt_tokens;
    std::vector<std::string> prompt_labels;
};

struct RunStarted {
    ModelConfig config;
    std::string backend;      // "cpu" / "vulkan"
    std::string device;
    bool use_cache = true;
    bool prefix_cache = false;
    KvLayout kv_layout;       // the block pool: dtype, capacity, block size, blocks, shape
    std::vector<int> prompt_tokens;  // the first sequence's prompt
    std::vector<std::string> prompt_labels;
    std::vector<SequenceStart> sequences;  // every sequence, the first one included
    std::vector<int> cached_blocks;        // blocks an earlier run left for the prefix cache
};

struct TokenProbability {
    int id = 0;
    float probability = 0.0f;
    std::string label;
};

struct StepStarted {
    int step = 0;       // 0 is the prefill
    int sequence = 0;
    Phase phase = Phase::Prefill;
    int first_pos = 0;  // position of the first input token
    std::vector<int> input_tokens;
};

struct StepFinished {
    int step = 0;
    int sequence = 0;
    Phase phase = Phase::Prefill;
    int first_pos = 0;
    int n_positions = 0;            // positions computed (prompt length, 1, or all when uncached)
    std::vector<int> input_tokens;
    int sampled_token = -1;
    std::string sampled_label;      // printable token label
    std::string sampled_text;       // the bytes it adds to the text
    std::vector<TokenProbability> top;  // most likely next tokens, highest first
    // What the sampler drew from: after temperature, top-k and top-p, renormalized, highest first.
    std::vector<TokenProbability> top_filtered;
    double entropy = 0.0;           // of the model's distribution at temperature 1, in nats
    int argmax = -1;                // the most likely token
    bool forced = false;            // sampled_token was imposed, not drawn (the debugger's force)
    int sampler_token = -1;         // what the sampler drew (== sampled_token unless forced)
    double wall_ms = 0.0;           // the pass that computed it (shared by the sequences of a batch)
    double device_ms = -1.0;        // GPU time of that pass, -1 when not measured
    bool stops = false;             // sampled token ends this sequence
};

// A sequence's cache after a step, per layer. Bytes "used" are what the allocator hands the
// sequence (its blocks x block bytes); the formula (tokens x bytes per token) is beside them.
struct KvAppend {
    int step = 0;
    int sequence = 0;
    int layer = 0;
    int first_pos = 0;
    int n_positions = 0;                 // positions written this step
    std::int64_t bytes_written = 0;      // this layer, this step
    std::int64_t layer_bytes_used = 0;   // this layer's share of the sequence's blocks
    std::int64_t layer_bytes_allocated = 0;  // this layer's share of the pool
    std::int64_t total_bytes_used = 0;   // the sequence's blocks x block bytes, all layers
    std::int64_t total_bytes_allocated = 0;  // the whole pool
    std::int64_t formula_bytes = 0;      // the sequence's positions x bytes per token, all layers
    int blocks = 0;                      // entries of the sequence's block table
};

struct AttentionEvent {
    int step = 0;
    int sequence = 0;
    int layer = 0;
    int head = 0;       // query head
    int kv_head = 0;    // the KV head it reads (head / gqa_group)
    int first_query = 0;
    int n_queries = 0;
    int n_keys = 0;
    std::vector<float> probs;  // [n_queries, n_keys]; row i covers keys 0..first_query+i
};

struct OpCostEvent {
    int step = 0;
    int sequence = 0;
    int layer = -1;  // -1 for embedding, final norm and classifier
    OpKind op = OpKind::Embedding;
    double flops = 0.0;
    double bytes_read = 0.0;
    double bytes_written = 0.0;
    double measured_ms = -1.0;  // the op in the whole pass (shared by a batch's sequences); -1 when off
};

struct SequenceEnd {
    int sequence = 0;
    int generated_tokens = 0;
    std::string stop_reason;
};

struct RunFinished {
    int steps = 0;
    int generated_tokens = 0;  // all sequences
    std::string stop_reason;  // "eos", "limit", "context", "cancelled", "error: ..." (the first sequence's)
    double wall_ms = 0.0;
    std::vector<SequenceEnd> sequences;
};

// A new sequence started from cached blocks of an earlier prompt (prefix cache).
struct PrefixHit {
    int step = 0;
    int sequence = 0;
    int prompt_tokens = 0;
    int reused_tokens = 0;     // positions not computed
    int full_blocks = 0;       // whole blocks shared
    int partial_tokens = 0;    // first positions of one more block (copied on first write)
    double flops_saved = 0.0;  // prefill FLOPs of the whole prompt minus those of the rest
};

// A sequence went back to an earlier step (debugger): its tokens past `tokens` and its cache
// past `cache_length` are gone (the blocks freed are in the block events before this one); the
// next step to run is `step`, and it computes the token at position `tokens`.
struct Rewound {
    int step = 0;
    int sequence = 0;
    int tokens = 0;        // tokens the sequence keeps (prompt included)
    int cache_length = 0;  // positions its cache keeps
};

// The debugger stopped a run after the step that met a breakpoint.
struct BreakpointHit {
    int step = 0;
    int sequence = 0;
    int breakpoint = 0;      // its id
    std::string spec;        // the breakpoint as written ("entropy>2.5")
    std::string detail;      // the value that met it ("entropy 2.71")
};

// The debugger's tree of branches changed: a branch was created from `from` (the active run
// becomes it; a Rewound follows), made active, or dropped. `sequence` is the pool sequence that
// carries the active run's events from now on (for dropped: the dropped branch's).
struct BranchChanged {
    enum class Kind { Created, Switched, Dropped };
    int step = 0;
    Kind kind = Kind::Created;
    int branch = 0;       // the branch created, switched to or dropped
    int from = -1;        // the branch active before (created, switched)
    int sequence = 0;
    int fork_step = 0;    // created: steps it shares with `from`
};
const char* to_string(BranchChanged::Kind k);

// The pool after a pass, as the allocator counts it.
struct PoolState {
    int step = 0;
    KvPoolUsage usage;
};

// BlockEvent (engine/kv/kv_usage.h): one change of one block, in the order they happen.
using Event = std::variant<RunStarted, StepStarted, StepFinished, KvAppend, AttentionEvent, OpCostEvent, RunFinished,
                           BlockEvent, PrefixHit, PoolState, Rewound, BreakpointHit, BranchChanged>;

const char* event_type_name(const Event& e);  // "run_started", "step_finished", ...

class EventObserver {
public:
    virtual ~EventObserver() = default;
    virtual void on_event(const Event& event) = 0;
};

}  // namespace kvs
