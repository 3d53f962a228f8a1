#pragma once
// What every compute backend (Eigen CPU, Vulkan) provides to a generation session.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/op_kind.h"
#include "core/result.h"
#include "kv/kv_layout.h"
#include "model/model_config.h"

namespace kvs {

struct Model;

// Which attention probabilities a forward pass hands back. Capturing costs copies (and, on
// the GPU, a read-back), so it is off by default and can be narrowed to layers and heads.
struct AttentionCapture {
    enum class Mode {
        Off,
        NewRows,  // the rows of the query positions this pass computed
        Full,     // NewRows, and the session keeps the whole [seq, seq] matrices
    };
    Mode mode = Mode::Off;
    std::vector<int> layers;  // empty = all
    std::vector<int> heads;   // query heads; empty = all

    bool enabled() const { return mode != Mode::Off; }
    bool wants(int layer, int head) const;
};

// Softmax rows of one query head for the positions a pass computed.
struct AttentionRows {
    int layer = 0;
    int head = 0;         // query head
    int first_query = 0;  // position of row 0
    int n_queries = 0;
    int n_keys = 0;       // = first_query + n_queries (causal: row i covers keys 0..first_query+i)
    std::vector<float> probs;  // [n_queries, n_keys], entries past the causal limit are 0
};

struct OpTiming {
    int layer = -1;  // -1 for ops outside the blocks (embedding, final norm, classifier)
    OpKind op = OpKind::Embedding;
    double ms = 0.0;
};

struct ForwardOutput {
    std::vector<float> logits;  // [logit_rows, vocab]
    int logit_rows = 0;
    std::vector<AttentionRows> attention;
    std::vector<OpTiming> op_times;  // measured per op (CPU: wall clock; Vulkan: timestamps)
    double device_ms = -1.0;         // GPU time of the whole pass, -1 when not measured
};

struct BackendOptions {
    int kv_capacity = 0;              // positions to allocate; 0 = the model's context length
    KvDtype kv_dtype = KvDtype::F32;
    bool f16_weights = false;         // Vulkan: store weights as F16 on the device
    bool measure_ops = false;         // fill ForwardOutput::op_times
    std::string device;               // Vulkan: device index or name substring; "" = best
    bool validation = false;          // Vulkan: enable the validation layer
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string name() const = 0;         // "cpu", "vulkan"
    virtual std::string device_name() const = 0;  // "CPU (Eigen 3.4.0, AVX2)", "NVIDIA H100 ..."
    // Bytes per weight element as the backend stores them (for the cost model's byte counts).
    virtual int weight_bytes() const { return 4; }

    // Runs tokens at positions [start_pos, start_pos + tokens.size()), writing their K and V
    // into the cache (which must hold exactly start_pos positions), and returns the logits of
    // the last position, or of every position when all_logits is set.
    virtual Status forward(std::span<const int> tokens, int start_pos, bool all_logits,
                           const AttentionCapture& capture, ForwardOutput& out) = 0;

    // Positions currently held by the cache. Truncating rewinds generation.
    virtual int cache_length() const = 0;
    virtual void truncate_cache(int length) = 0;
    virtual const KvLayout& kv_layout() const = 0;

    // A copy of K and V of one layer and KV head: each [cache_length, head_dim] row-major.
    virtual Status read_kv(int layer, int kv_head, std::vector<float>& keys,
                           std::vector<float>& values) const = 0;
};

// Positions a cache holds when none are asked for: the model's context length, but at most
// this many, since headers claim contexts of up to 2^31 positions (a 2^26 context sized a 4 GiB
// cache for a tiny model) while runs here are short. An explicit kv_capacity may go higher.
inline constexpr int kDefaultMaxKvCapacity = 32768;

// The cache shape a backend allocates for `cfg`: one sequence, options.kv_capacity positions
// (0: the context length capped at kDefaultMaxKvCapacity; more than the context: the context
// length), elements of `dtype`.
KvLayout cache_layout(const ModelConfig& cfg, const BackendOptions& options, KvDtype dtype);

// Creates "cpu" or "vulkan". When Vulkan cannot run (no loader, no device, too little device
// memory), the CPU backend is returned and `fallback_reason` says why; an unknown name is an
// error, and so is a host cache that does not fit in available memory (with its size).
Result<std::unique_ptr<Backend>> create_backend(const std::string& name, std::shared_ptr<const Model> model,
                                                const BackendOptions& options, std::string* fallback_reason);

}  // namespace kvs
