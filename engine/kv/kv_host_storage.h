#pragma once
// The pool's K/V values in host memory, for the CPU backend: one allocation of
// layout.total_elements() floats made when the backend is created; nothing grows afterwards.
// Rows are found only through KvLayout::offset (a physical block) or a BlockTable (a sequence).
#include <cstdint>
#include <span>
#include <vector>

#include "kv/block_table.h"
#include "kv/kv_layout.h"

namespace kvs {

class KvHostStorage {
public:
    explicit KvHostStorage(const KvLayout& layout);

    const KvLayout& layout() const { return layout_; }

    // Row of head_dim values: (layer, K|V, kv_head) at slot `slot` of physical block `block`.
    float* block_row(int layer, KvPart part, int block, int head, int slot) {
        return data_.data() + layout_.offset(layer, part, block, head, slot);
    }
    const float* block_row(int layer, KvPart part, int block, int head, int slot) const {
        return data_.data() + layout_.offset(layer, part, block, head, slot);
    }
    // Row of slot `slot` of the sequence whose table is `table`.
    float* row(int layer, KvPart part, int head, const BlockTable& table, int slot) {
        return block_row(layer, part, table.block_of(slot), head, table.slot_in_block(slot));
    }
    const float* row(int layer, KvPart part, int head, const BlockTable& table, int slot) const {
        return block_row(layer, part, table.block_of(slot), head, table.slot_in_block(slot));
    }
    // Slots [0, count) of one head, gathered in order: [count, head_dim].
    void gather(int layer, KvPart part, int head, const BlockTable& table, int count, std::vector<float>& out) const;
    // Copy on write: every layer's K and V of block `source` into block `target`.
    void copy_block(int source, int target);

private:
    KvLayout layout_;
    std::vector<float> data_;
};

}  // namespace kvs
