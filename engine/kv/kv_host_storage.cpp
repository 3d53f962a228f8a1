#include "kv/kv_host_storage.h"

#include <algorithm>
#include <array>
#include <memory>

#include "model/dtype_convert.h"

namespace kvs {
namespace {

// Every half widened once (256 KiB): attention widens each cached value at every step, and a
// table lookup is exact and cheaper than decoding the bits each time.
const float* half_table() {
    static const std::unique_ptr<std::array<float, 65536>> table = [] {
        auto t = std::make_unique<std::array<float, 65536>>();
        for (std::uint32_t h = 0; h < 65536; ++h) (*t)[h] = f16_to_f32(std::uint16_t(h));
        return t;
    }();
    return table->data();
}

}  // namespace

KvHostStorage::KvHostStorage(const KvLayout& layout)
    : layout_(layout),
      memory_(std::size_t(layout.total_elements()) * std::size_t(bytes_per_element(layout.dtype))) {
    if (layout.dtype == KvDtype::F16) f16_ = static_cast<std::uint16_t*>(memory_.data());
    else f32_ = static_cast<float*>(memory_.data());
}

std::int64_t KvHostStorage::bytes() const { return std::int64_t(memory_.size()); }

void KvHostStorage::write(int layer, KvPart part, int head, const BlockTable& table, int slot, const float* values) {
    const std::int64_t at = layout_.offset(layer, part, table.block_of(slot), head, table.slot_in_block(slot));
    const int hd = layout_.head_dim;
    if (layout_.dtype == KvDtype::F32) {
        std::copy_n(values, hd, f32_ + at);
        return;
    }
    std::uint16_t* dst = f16_ + at;
    for (int d = 0; d < hd; ++d) dst[d] = f32_to_f16(values[d]);
}

const float* KvHostStorage::f32_run(int layer, KvPart part, int head, const BlockTable& table, int count) const {
    if (layout_.dtype != KvDtype::F32 || count <= 0) return nullptr;
    int runs = 0;
    table.for_each_run(0, count, [&](const BlockSpan&) { ++runs; });
    if (runs != 1) return nullptr;
    return f32_ + layout_.offset(layer, part, table.block(0), head, 0);
}

void KvHostStorage::gather(int layer, KvPart part, int head, const BlockTable& table, int count, float* out) const {
    const std::size_t hd = std::size_t(layout_.head_dim);
    const float* widen = layout_.dtype == KvDtype::F16 ? half_table() : nullptr;
    table.for_each_run(0, count, [&](const BlockSpan& s) {
        const std::int64_t at = layout_.offset(layer, part, s.block, head, s.block_slot);
        const std::size_t n = std::size_t(s.count) * hd;
        float* dst = out + std::size_t(s.first) * hd;
        if (!widen) {
            std::copy_n(f32_ + at, n, dst);
        } else {
            const std::uint16_t* src = f16_ + at;
            for (std::size_t i = 0; i < n; ++i) dst[i] = widen[src[i]];
        }
    });
}

void KvHostStorage::gather(int layer, KvPart part, int head, const BlockTable& table, int count,
                           std::vector<float>& out) const {
    out.resize(std::size_t(count) * std::size_t(layout_.head_dim));
    gather(layer, part, head, table, count, out.data());
}

void KvHostStorage::copy_block(int source, int target) {
    // Within a (layer, part, head) a block is one run of block_stride elements.
    const std::int64_t n = layout_.block_stride();
    for (int l = 0; l < layout_.n_layers; ++l)
        for (KvPart part : {KvPart::Key, KvPart::Value})
            for (int h = 0; h < layout_.n_kv_heads; ++h) {
                const std::int64_t from = layout_.offset(l, part, source, h, 0);
                const std::int64_t to = layout_.offset(l, part, target, h, 0);
                if (layout_.dtype == KvDtype::F32) std::copy_n(f32_ + from, n, f32_ + to);
                else std::copy_n(f16_ + from, n, f16_ + to);
            }
}

}  // namespace kvs
