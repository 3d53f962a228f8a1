#pragma once
// The pool's K/V values in host memory, for the CPU backend: one allocation of
// layout.total_elements() elements of the layout's dtype, made when the backend is created;
// nothing grows afterwards. It reads as zero and its pages become resident as blocks are first
// written (core/zeroed_memory.h), so a short run in a long context holds little of it. F32 keeps the values as computed; F16 stores IEEE halves (rounded to
// nearest even on write, widened back to F32 on read), so the cache takes the bytes a GPU cache
// takes. Rows are found only through KvLayout::offset (a physical block) or a BlockTable (a
// sequence).
#include <cstdint>
#include <vector>

#include "core/zeroed_memory.h"
#include "kv/block_table.h"
#include "kv/kv_layout.h"

namespace kvs {

class KvHostStorage {
public:
    explicit KvHostStorage(const KvLayout& layout);

    const KvLayout& layout() const { return layout_; }
    // Bytes the values take in memory (the allocation itself, not a formula).
    std::int64_t bytes() const;

    // Stores head_dim values as the row (layer, K|V, kv_head) of slot `slot` of the sequence
    // whose table is `table`, converted to the storage type.
    void write(int layer, KvPart part, int head, const BlockTable& table, int slot, const float* values);
    // The F32 rows of slots [0, count) of one head where they already lie in memory as one run
    // (an F32 pool whose blocks for those slots are physically consecutive); null otherwise.
    const float* f32_run(int layer, KvPart part, int head, const BlockTable& table, int count) const;
    // Slots [0, count) of one head, gathered in order and as F32: out[count * head_dim].
    void gather(int layer, KvPart part, int head, const BlockTable& table, int count, float* out) const;
    void gather(int layer, KvPart part, int head, const BlockTable& table, int count, std::vector<float>& out) const;
    // Copy on write: every layer's K and V of block `source` into block `target`.
    void copy_block(int source, int target);

private:
    KvLayout layout_;
    ZeroedMemory memory_;
    float* f32_ = nullptr;           // F32 pools (into memory_), or null
    std::uint16_t* f16_ = nullptr;   // F16 pools (IEEE half bits), or null
};

}  // namespace kvs
