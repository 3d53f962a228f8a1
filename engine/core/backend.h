#pragma once
// What every compute backend (Eigen CPU, Vulkan) provides to a generation session.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/activation_tap.h"
#include "core/op_kind.h"
#include "core/result.h"
#include "kv/kv_layout.h"
#include "kv/kv_pool.h"
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
    int sequence = 0;
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

// One sequence's share of a forward pass.
struct SequenceInput {
    int sequence = 0;              // a sequence of the backend's KvPool
    std::span<const int> tokens;   // new tokens; they fill the sequence's next cache slots
    int first_position = -1;       // position of tokens[0] (RoPE, learned positions); -1: the sequence's length
    bool all_logits = false;       // logits of every new token, not only of the last
};

// Several sequences in one pass: the rows of all of them go through each weight matrix together
// (decode of N sequences is one GEMM of N rows); attention reads each one's own blocks.
struct ForwardBatch {
    std::vector<SequenceInput> sequences;
    AttentionCapture capture;
    ActivationTap tap;
};

// A batch after validation, as a backend executes it.
struct PassSequence {
    int sequence = 0;
    std::span<const int> tokens;
    int first_position = 0;        // position of tokens[0]
    int first_slot = 0;            // cache slot of tokens[0]: slots [0, first_slot) were cached before
    const BlockTable* table = nullptr;  // covers slots [0, first_slot + tokens.size())
    bool all_logits = false;
    int row0 = 0;                  // row of tokens[0] among the pass's rows
    int logit_row0 = 0;            // first logits row of this sequence
    int n() const { return int(tokens.size()); }
    int keys() const { return first_slot + n(); }
};
struct Pass {
    std::vector<PassSequence> sequences;
    int rows = 0;                  // tokens of all sequences
    int logit_rows = 0;
    std::vector<BlockCopy> copies;  // copy on write, before anything is written
    const AttentionCapture* capture = nullptr;
    const ActivationTap* tap = nullptr;
};

struct ForwardOutput {
    std::vector<float> logits;  // [logit_rows, vocab]: each batch entry's rows in batch order
    int logit_rows = 0;
    std::vector<int> first_logit_row;  // per batch entry
    std::vector<AttentionRows> attention;
    // The tapped activations (ForwardBatch::tap), in pass order; planned and sized before the
    // pass runs, filled by the backend, Logits filled here from `logits`.
    std::vector<Activation> activations;
    std::vector<OpTiming> op_times;  // measured per op (CPU: wall clock; Vulkan: timestamps)
    double device_ms = -1.0;         // GPU time of the whole pass, -1 when not measured
};

struct BackendOptions {
    int kv_capacity = 0;              // positions one sequence may hold; 0 = the model's context length
    KvDtype kv_dtype = KvDtype::F32;
    int block_size = 16;              // positions per KV block; 0 = one block of kv_capacity per sequence
    int max_sequences = 1;            // sequences of kv_capacity positions the pool is sized for
    int kv_blocks = 0;                // physical blocks; 0 = max_sequences x blocks per sequence
    BlockOrder block_order = BlockOrder::Ascending;  // hand-out order of a fresh pool
    std::uint64_t block_seed = 0;     // for BlockOrder::Shuffled
    bool prefix_cache = false;        // share full blocks of equal prompt prefixes
    bool f16_weights = false;         // Vulkan: store F32 weight matrices as F16 on the device
    bool measure_ops = false;         // fill ForwardOutput::op_times
    std::string device;               // Vulkan: device index or name substring; "" = best
    bool validation = false;          // Vulkan: enable the validation layer
    int threads = 0;                  // CPU: threads of the forward pass, the caller included; 0 = every core
};

// A backend executes forward passes over a KV block pool whose values it stores (host memory,
// device buffers); the pool's bookkeeping (tables, allocator, prefix cache) is kv().
class Backend {
public:
    virtual ~Backend();

    virtual std::string name() const = 0;         // "cpu", "vulkan"
    virtual std::string device_name() const = 0;  // "CPU (Eigen 3.4.0, AVX2)", "NVIDIA H100 ..."
    // Average bytes per weight-matrix element as the backend stores them (0.5625 for Q4_0 kept
    // in its blocks): the cost model's byte counts.
    virtual double weight_bytes() const { return 4.0; }
    // Bytes the backend holds for every weight tensor (host memory or device buffers).
    virtual std::int64_t weight_storage_bytes() const { return 0; }

    // Runs the batch: checks it (here, once for every backend), grows each sequence's table,
    // executes, and commits the tables, or leaves them as they were when anything fails.
    Status forward(const ForwardBatch& batch, ForwardOutput& out);
    // Single-sequence form on the default sequence: tokens at positions [start_pos, ...), where
    // start_pos must be the number of positions it holds. Returns the logits of the last
    // position, or of every position when all_logits is set.
    Status forward(std::span<const int> tokens, int start_pos, bool all_logits, const AttentionCapture& capture,
                   ForwardOutput& out);

    int vocab_size() const { return vocab_size_; }
    KvPool& kv() { return *kv_; }
    const KvPool& kv() const { return *kv_; }
    const KvLayout& kv_layout() const { return kv_->layout(); }

    // The default sequence (id 0), which exists from the start: what single-sequence callers use.
    static constexpr int kDefaultSequence = 0;
    int cache_length() const { return kv_->length(kDefaultSequence); }
    void truncate_cache(int length);  // clamped to [0, cache_length()]

    // A copy of K and V of one layer and KV head of a sequence: each [length, head_dim] row-major.
    Status read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const;
    Status read_kv(int sequence, int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const;

protected:
    Backend() = default;
    // Creates the pool's bookkeeping; backends call it once, before the first pass.
    void init_pool(const KvLayout& layout, const BackendOptions& options, const ModelConfig& config);
    virtual Status execute(const Pass& pass, ForwardOutput& out) = 0;
    // The first `count` slots of `table`, as F32 rows.
    virtual Status read_slots(const BlockTable& table, int count, int layer, int kv_head, std::vector<float>& keys,
                              std::vector<float>& values) const = 0;

private:
    Status check(const ForwardBatch& batch) const;

    std::unique_ptr<KvPool> kv_;
    ModelConfig config_;  // the shapes of tapped activations
    int vocab_size_ = 0;
};

// Positions a sequence may hold when none are asked for: the model's context length, but at
// most this many, since headers claim contexts of up to 2^31 positions (a 2^26 context sized a
// 4 GiB cache for a tiny model) while runs here are short. An explicit kv_capacity may go higher.
inline constexpr int kDefaultMaxKvCapacity = 32768;

// The pool a backend allocates for `cfg`: sequences of options.kv_capacity positions (0: the
// context length capped at kDefaultMaxKvCapacity; more than the context: the context length)
// in blocks of options.block_size positions (0 or more than the capacity: one block per
// sequence), elements of `dtype`.
KvLayout cache_layout(const ModelConfig& cfg, const BackendOptions& options, KvDtype dtype);
// Checks the pool options (block size, sequences, blocks); the error names the option.
Status check_pool_options(const BackendOptions& options);

// Creates "cpu" or "vulkan". When Vulkan cannot run (no loader, no device, too little device
// memory), the CPU backend is returned and `fallback_reason` says why; an unknown name is an
// error, and so is a host cache that does not fit in available memory (with its size).
Result<std::unique_ptr<Backend>> create_backend(const std::string& name, std::shared_ptr<const Model> model,
                                                const BackendOptions& options, std::string* fallback_reason);

}  // namespace kvs
