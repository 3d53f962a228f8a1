#pragma once
// Where a (layer, K|V, batch, kv_head, position) lives. This is the one place that knows the
// KV cache layout; the CPU storage, the Vulkan buffers, the shaders' strides and the cache
// inspector all ask it.
//
// Logical shape per layer and per K/V: [batch, kv_heads, capacity, head_dim], row-major, with
// the K block of a layer followed by its V block:
//   offset = ((((layer * 2 + kv) * batch + b) * kv_heads + head) * capacity + pos) * head_dim
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
    int capacity = 0;  // positions allocated per sequence
    int batch = 1;
    KvDtype dtype = KvDtype::F32;

    std::int64_t offset(int layer, KvPart part, int b, int head, int pos) const {
        return ((((std::int64_t(layer) * 2 + int(part)) * batch + b) * n_kv_heads + head) * capacity + pos) *
               head_dim;
    }
    // Elements between consecutive positions / heads / layers (what shaders get as strides).
    std::int64_t position_stride() const { return head_dim; }
    std::int64_t head_stride() const { return std::int64_t(capacity) * head_dim; }
    std::int64_t part_stride() const { return std::int64_t(batch) * n_kv_heads * head_stride(); }
    std::int64_t layer_stride() const { return 2 * part_stride(); }
    std::int64_t total_elements() const { return std::int64_t(n_layers) * layer_stride(); }

    // 2 * layers * kv_heads * head_dim * seq_len * batch * bytes_per_element
    std::int64_t bytes_for(int seq_len) const {
        return 2LL * n_layers * n_kv_heads * head_dim * std::int64_t(seq_len) * batch * bytes_per_element(dtype);
    }
    std::int64_t bytes_per_token() const { return bytes_for(1) / batch; }
    std::int64_t layer_bytes_for(int seq_len) const { return bytes_for(seq_len) / n_layers; }
    std::int64_t bytes_allocated() const { return bytes_for(capacity); }
};

}  // namespace kvs
