#include "kv/kv_host_storage.h"

#include <algorithm>
#include <cassert>

namespace kvs {

KvHostStorage::KvHostStorage(const KvLayout& layout) : layout_(layout), data_(std::size_t(layout.total_elements()), 0.0f) {
    assert(layout.dtype == KvDtype::F32 && "host storage holds F32 values");
}

void KvHostStorage::gather(int layer, KvPart part, int head, const BlockTable& table, int count,
                           std::vector<float>& out) const {
    const int hd = layout_.head_dim;
    out.resize(std::size_t(count) * hd);
    table.for_each_run(0, count, [&](const BlockSpan& s) {
        const float* src = block_row(layer, part, s.block, head, s.block_slot);
        std::copy_n(src, std::size_t(s.count) * hd, out.data() + std::size_t(s.first) * hd);
    });
}

void KvHostStorage::copy_block(int source, int target) {
    // Within a (layer, part, head) a block is one run of block_stride elements.
    const std::int64_t n = layout_.block_stride();
    for (int l = 0; l < layout_.n_layers; ++l)
        for (KvPart part : {KvPart::Key, KvPart::Value})
            for (int h = 0; h < layout_.n_kv_heads; ++h)
                std::copy_n(block_row(l, part, source, h, 0), n, block_row(l, part, target, h, 0));
}

}  // namespace kvs
