#include "vk/vk_weights.h"

#include <numeric>

#include "model/dtype_convert.h"

namespace kvs::vk {

std::vector<RowChunk> plan_row_chunks(int rows, int cols, int elem_bytes, VkDeviceSize max_range, VkDeviceSize align) {
    const VkDeviceSize row_bytes = VkDeviceSize(cols) * elem_bytes;
    VkDeviceSize per_chunk = std::max<VkDeviceSize>(1, max_range / row_bytes);
    // Chunk starts must stay aligned: a multiple of `step` rows always is.
    const VkDeviceSize step = align / std::gcd(align, row_bytes);
    if (per_chunk < VkDeviceSize(rows) && per_chunk > step) per_chunk -= per_chunk % step;
    std::vector<RowChunk> chunks;
    for (VkDeviceSize r = 0; r < VkDeviceSize(rows); r += per_chunk) {
        const VkDeviceSize n = std::min<VkDeviceSize>(per_chunk, VkDeviceSize(rows) - r);
        chunks.push_back({std::uint32_t(r), std::uint32_t(n), r * row_bytes, n * row_bytes});
    }
    return chunks;
}

namespace {

struct Upload {
    const VulkanContext& ctx;
    Uploader& uploader;
    std::int64_t bytes = 0;

    Result<DeviceTensor> tensor(const Tensor& t, bool as_f16, const char* what) {
        DeviceTensor d;
        if (t.empty()) return d;
        d.rows = t.rows;
        d.cols = t.cols;
        d.f16 = as_f16;
        if (as_f16 && t.cols % 2 != 0)
            return err("Vulkan F16 weights need even row widths; ", what, " has ", t.cols, " columns");
        KVS_ASSIGN(d.buffer, Buffer::create(ctx, d.bytes(), MemoryUse::Device));
        if (!as_f16 && t.f32() != nullptr) {
            KVS_TRY(uploader.upload(d.buffer, 0, t.f32(), d.bytes()));
        } else {
            // Decoded (from the file's type) and converted in slices of rows, so a large matrix
            // never needs a second full-size host copy.
            const int slice_rows = std::max(1, int((std::size_t(1) << 22) / std::size_t(std::max(1, t.cols))));
            std::vector<std::uint16_t> halves;
            for (int r0 = 0; r0 < t.rows; r0 += slice_rows) {
                const int nr = std::min(slice_rows, t.rows - r0);
                const std::vector<float> values = t.rows_to_f32(r0, nr);
                const std::size_t first = std::size_t(r0) * std::size_t(t.cols);
                if (as_f16) {
                    halves.resize(values.size());
                    for (std::size_t i = 0; i < values.size(); ++i) halves[i] = f32_to_f16(values[i]);
                    KVS_TRY(uploader.upload(d.buffer, first * 2, halves.data(), halves.size() * 2));
                } else {
                    KVS_TRY(uploader.upload(d.buffer, first * 4, values.data(), values.size() * 4));
                }
            }
        }
        const auto& lim = ctx.limits();
        d.chunks = plan_row_chunks(d.rows, d.cols, as_f16 ? 2 : 4, lim.max_storage_range, lim.storage_offset_align);
        bytes += std::int64_t(d.bytes());
        return d;
    }
};

}  // namespace

Result<DeviceWeights> upload_weights(const VulkanContext& ctx, Uploader& uploader, const ModelWeights& w, bool f16) {
    Upload up{ctx, uploader};
    DeviceWeights d;
    KVS_ASSIGN(d.token_embedding, up.tensor(w.token_embedding, f16, "token_embedding"));
    KVS_ASSIGN(d.position_embedding, up.tensor(w.position_embedding, false, "position_embedding"));
    if (d.position_embedding.bytes() > ctx.limits().max_storage_range)
        return err("Vulkan: the position embedding (", d.position_embedding.bytes(),
                   " bytes) exceeds one storage-buffer binding");
    for (const LayerWeights& l : w.layers) {
        DeviceLayer dl;
        KVS_ASSIGN(dl.attn_norm, up.tensor(l.attn_norm, false, "attn_norm"));
        KVS_ASSIGN(dl.attn_norm_bias, up.tensor(l.attn_norm_bias, false, "attn_norm_bias"));
        KVS_ASSIGN(dl.wq, up.tensor(l.wq, f16, "wq"));
        KVS_ASSIGN(dl.wk, up.tensor(l.wk, f16, "wk"));
        KVS_ASSIGN(dl.wv, up.tensor(l.wv, f16, "wv"));
        KVS_ASSIGN(dl.bq, up.tensor(l.bq, false, "bq"));
        KVS_ASSIGN(dl.bk, up.tensor(l.bk, false, "bk"));
        KVS_ASSIGN(dl.bv, up.tensor(l.bv, false, "bv"));
        KVS_ASSIGN(dl.wo, up.tensor(l.wo, f16, "wo"));
        KVS_ASSIGN(dl.bo, up.tensor(l.bo, false, "bo"));
        KVS_ASSIGN(dl.ffn_norm, up.tensor(l.ffn_norm, false, "ffn_norm"));
        KVS_ASSIGN(dl.ffn_norm_bias, up.tensor(l.ffn_norm_bias, false, "ffn_norm_bias"));
        KVS_ASSIGN(dl.w_gate, up.tensor(l.w_gate, f16, "w_gate"));
        KVS_ASSIGN(dl.w_up, up.tensor(l.w_up, f16, "w_up"));
        KVS_ASSIGN(dl.b_up, up.tensor(l.b_up, false, "b_up"));
        KVS_ASSIGN(dl.w_down, up.tensor(l.w_down, f16, "w_down"));
        KVS_ASSIGN(dl.b_down, up.tensor(l.b_down, false, "b_down"));
        d.layers.push_back(std::move(dl));
    }
    KVS_ASSIGN(d.final_norm, up.tensor(w.final_norm, false, "final_norm"));
    KVS_ASSIGN(d.final_norm_bias, up.tensor(w.final_norm_bias, false, "final_norm_bias"));
    KVS_ASSIGN(d.classifier, up.tensor(w.classifier, f16, "classifier"));
    d.bytes = up.bytes;
    return d;
}

}  // namespace kvs::vk
