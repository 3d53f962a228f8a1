#pragma once
// The geometry of the KV block pool, and the one place that turns (layer, K|V, physical block,
// kv_head, slot) into an address. The CPU storage, the Vulkan buffers, the shaders' strides and
// the cache inspector all ask it; a sequence's logical position reaches a physical block only
// through its BlockTable (engine/kv/block_table.h).
//
// The pool holds n_blocks physical blocks of block_size positions. Per layer, K comes first, then
// V; inside each, every KV head has its own run of all blocks, block after block:
//   offset = ((((layer * 2 + kv) * kv_heads + head) * n_blocks + block) * block_size + slot) * head_dim
// So a sequence whose blocks are physically consecutive has each head's rows in one run (read
// without copying), and a contiguous cache (one block of `capacity` positions per sequence) with
// one sequence is exactly the dense [layer][K|V][kv_head][position][head_dim] array.
#include <cstdint>

namespace kvs {

enum class KvDtype { F32, F16 };
inline int bytes_per_element(KvDtype t) { return t == KvDtype::F32 ? 4 : 2; }
inline const char* to_string(KvDtype t) { return t == KvDtype::F32 ? "f32" : "f16"; }

enum class KvPart { Key = 0, Value = 1 };

struct KvLayout {
    int n_layers = 0;
    int n_kv_heads = 0;
    int head_dim = 0;
    int capacity = 0;     // positions one sequence may hold (the context)
    int batch = 1;        // sequences of `capacity` positions the pool was sized for
    KvDtype dtype = KvDtype::F32;
    int block_size = 0;   // positions per physical block; 0 = capacity (one block per sequence)
    int n_blocks = 0;     // physical blocks in the pool; 0 = batch * blocks_per_sequence()

    int block_positions() const { return block_size > 0 ? block_size : capacity; }
    int blocks_per_sequence() const { return blocks_for(capacity); }
    int pool_blocks() const { return n_blocks > 0 ? n_blocks : batch * blocks_per_sequence(); }
    // Blocks a sequence of `positions` positions occupies: ceil(positions / block_size).
    int blocks_for(std::int64_t positions) const {
        const int bs = block_positions();
        return bs > 0 ? int((positions + bs - 1) / bs) : 0;
    }
    bool contiguous() const { return block_positions() >= capacity; }

    // Element offset of row (layer, K|V, physical block, kv_head, slot in the block).
    std::int64_t offset(int layer, KvPart part, int block, int head, int slot) const {
        return ((((std::int64_t(layer) * 2 + int(part)) * n_kv_heads + head) * pool_blocks() + block) *
                    block_positions() +
                slot) *
               head_dim;
    }
    // Elements between consecutive slots / blocks / heads / parts / layers (the shaders' strides).
    std::int64_t position_stride() const { return head_dim; }
    std::int64_t block_stride() const { return std::int64_t(block_positions()) * head_dim; }
    std::int64_t head_stride() const { return std::int64_t(pool_blocks()) * block_stride(); }
    std::int64_t part_stride() const { return std::int64_t(n_kv_heads) * head_stride(); }
    std::int64_t layer_stride() const { return 2 * part_stride(); }
    std::int64_t total_elements() const { return std::int64_t(n_layers) * layer_stride(); }

    // The formula: 2 (K, V) x layers x kv_heads x head_dim x tokens x bytes per element.
    std::int64_t bytes_per_token() const {
        return 2LL * n_layers * n_kv_heads * head_dim * bytes_per_element(dtype);
    }
    std::int64_t bytes_for(std::int64_t tokens) const { return bytes_per_token() * tokens; }
    std::int64_t layer_bytes_for(std::int64_t tokens) const { return bytes_for(tokens) / n_layers; }
    // What the pool holds: a block is block_size positions of every layer, K and V.
    std::int64_t block_bytes() const { return bytes_for(block_positions()); }
    std::int64_t bytes_allocated() const { return block_bytes() * pool_blocks(); }
};

}  // namespace kvs
