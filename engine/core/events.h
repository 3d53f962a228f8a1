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
#include "model/model_config.h"

namespace kvs {

inline constexpr int kEventSchemaVersion = 1;

enum class Phase { Prefill, Decode };
inline const char* to_string(Phase p) { return p == Phase::Prefill ? "prefill" : "decode"; }

struct RunStarted {
    ModelConfig config;
    std::string backend;      // "cpu" / "vulkan"
    std::string device;
    bool use_cache = true;
    KvLayout kv_layout;       // dtype, capacity and shape of the cache
    std::vector<int> prompt_tokens;
    std::vector<std::string> prompt_labels;
};

struct TokenProbability {
    int id = 0;
    float probability = 0.0f;
    std::string label;
};

struct StepStarted {
    int step = 0;       // 0 is the prefill
    Phase phase = Phase::Prefill;
    int first_pos = 0;  // position of the first input token
    std::vector<int> input_tokens;
};

struct StepFinished {
    int step = 0;
    Phase phase = Phase::Prefill;
    int first_pos = 0;
    int n_positions = 0;            // positions computed (prompt length, 1, or all when uncached)
    std::vector<int> input_tokens;
    int sampled_token = -1;
    std::string sampled_label;      // printable token label
    std::string sampled_text;       // the bytes it adds to the text
    std::vector<TokenProbability> top;  // most likely next tokens, highest first
    double wall_ms = 0.0;
    double device_ms = -1.0;        // GPU time, -1 when not measured
    bool stops = false;             // sampled token ends the run
};

struct KvAppend {
    int step = 0;
    int layer = 0;
    int first_pos = 0;
    int n_positions = 0;                 // positions written this step
    std::int64_t bytes_written = 0;      // this layer, this step
    std::int64_t layer_bytes_used = 0;
    std::int64_t layer_bytes_allocated = 0;
    std::int64_t total_bytes_used = 0;   // all layers after this step
    std::int64_t total_bytes_allocated = 0;
};

struct AttentionEvent {
    int step = 0;
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
    int layer = -1;  // -1 for embedding, final norm and classifier
    OpKind op = OpKind::Embedding;
    double flops = 0.0;
    double bytes_read = 0.0;
    double bytes_written = 0.0;
    double measured_ms = -1.0;  // -1 when op timing is off
};

struct RunFinished {
    int steps = 0;
    int generated_tokens = 0;
    std::string stop_reason;  // "eos", "limit", "context", "cancelled", "error: ..."
    double wall_ms = 0.0;
};

using Event = std::variant<RunStarted, StepStarted, StepFinished, KvAppend, AttentionEvent, OpCostEvent, RunFinished>;

const char* event_type_name(const Event& e);  // "run_started", "step_finished", ...

class EventObserver {
public:
    virtual ~EventObserver() = default;
    virtual void on_event(const Event& event) = 0;
};

}  // namespace kvs
