#pragma once
// Host storage of the KV cache for the CPU backend: one allocation of layout.total_elements()
// floats made when the session starts; appending a position writes into it, nothing grows.
#include <cstdint>
#include <span>
#include <vector>

#include "kv/kv_layout.h"

namespace kvs {

class KvCache {
public:
    explicit KvCache(const KvLayout& layout);

    const KvLayout& layout() const { return layout_; }
    int length() const { return length_; }    // positions held
    int capacity() const { return layout_.capacity; }
    void set_length(int length);              // after writing positions, or to rewind

    // Row of head_dim values for (layer, kv_head, pos), batch 0.
    float* row(int layer, KvPart part, int head, int pos) {
        return data_.data() + layout_.offset(layer, part, 0, head, pos);
    }
    const float* row(int layer, KvPart part, int head, int pos) const {
        return data_.data() + layout_.offset(layer, part, 0, head, pos);
    }
    // The first `positions` rows of one head, contiguous: [positions, head_dim].
    std::span<const float> head_rows(int layer, KvPart part, int head, int positions) const {
        return {row(layer, part, head, 0), std::size_t(positions) * layout_.head_dim};
    }

    std::int64_t bytes_used() const { return layout_.bytes_for(length_); }
    std::int64_t bytes_allocated() const { return layout_.bytes_allocated(); }

private:
    KvLayout layout_;
    std::vector<float> data_;
    int length_ = 0;
};

}  // namespace kvs
