#include "vk/vk_weights.h"

#include <numeric>

#include "model/dtype_convert.h"

namespace kvs::vk {

namespace {

VkDeviceSize round_up_to_word(VkDeviceSize bytes) { return (bytes + 3) / 4 * 4; }

}  // namespace

std::vector<RowChunk> plan_row_chunks(int rows, std::int64_t row_bytes, VkDeviceSize max_range, VkDeviceSize align) {
    const VkDeviceSize row = VkDeviceSize(row_bytes);
    align = std::lcm(std::max<VkDeviceSize>(align, 1), VkDeviceSize(4));
    VkDeviceSize per_chunk = std::max<VkDeviceSize>(1, max_range / row);
    // Chunk starts must stay aligned: a multiple of `step` rows always is.
    const VkDeviceSize step = align / std::gcd(align, row);
    if (per_chunk < VkDeviceSize(rows) && per_chunk > step) per_chunk -= per_chunk % step;
    std::vector<RowChunk> chunks;
    for (VkDeviceSize r = 0; r < VkDeviceSize(rows); r += per_chunk) {
        const VkDeviceSize n = std::min<VkDeviceSize>(per_chunk, VkDeviceSize(rows) - r);
        chunks.push_back({std::uint32_t(r), std::uint32_t(n), r * row, round_up_to_word(n * row)});
    }
    return chunks;
}

WeightType device_weight_type(const Tensor& t, bool f16) {
    const WeightType stored = t.storage_type();
    const WeightType f32_or_f16 = f16 ? WeightType::F16 : WeightType::F32;
    switch (stored) {
        case WeightType::F32: return f32_or_f16;
        case WeightType::F16: return t.cols % 2 == 0 ? WeightType::F16 : WeightType::F32;  // packed pairs
        case WeightType::BF16: return t.cols % 8 == 0 ? WeightType::BF16 : f32_or_f16;    // units of 8
        default: return stored;  // block types: rows are whole blocks
    }
}

namespace {

// Every tensor of the model with the device tensor it becomes; `matrix` marks the ones the
// shaders read in their stored type (the rest are read as F32).
template <typename F>
Status for_each_tensor(const ModelWeights& w, DeviceWeights& d, F&& f) {
    KVS_TRY(f(w.token_embedding, d.token_embedding, true, "token_embedding"));
    KVS_TRY(f(w.position_embedding, d.position_embedding, false, "position_embedding"));
    d.layers.resize(w.layers.size());
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
        const LayerWeights& l = w.layers[i];
        DeviceLayer& dl = d.layers[i];
        KVS_TRY(f(l.attn_norm, dl.attn_norm, false, "attn_norm"));
        KVS_TRY(f(l.attn_norm_bias, dl.attn_norm_bias, false, "attn_norm_bias"));
        KVS_TRY(f(l.wq, dl.wq, true, "wq"));
        KVS_TRY(f(l.wk, dl.wk, true, "wk"));
        KVS_TRY(f(l.wv, dl.wv, true, "wv"));
        KVS_TRY(f(l.bq, dl.bq, false, "bq"));
        KVS_TRY(f(l.bk, dl.bk, false, "bk"));
        KVS_TRY(f(l.bv, dl.bv, false, "bv"));
        KVS_TRY(f(l.wo, dl.wo, true, "wo"));
        KVS_TRY(f(l.bo, dl.bo, false, "bo"));
        KVS_TRY(f(l.ffn_norm, dl.ffn_norm, false, "ffn_norm"));
        KVS_TRY(f(l.ffn_norm_bias, dl.ffn_norm_bias, false, "ffn_norm_bias"));
        KVS_TRY(f(l.w_gate, dl.w_gate, true, "w_gate"));
        KVS_TRY(f(l.w_up, dl.w_up, true, "w_up"));
        KVS_TRY(f(l.b_up, dl.b_up, false, "b_up"));
        KVS_TRY(f(l.w_down, dl.w_down, true, "w_down"));
        KVS_TRY(f(l.b_down, dl.b_down, false, "b_down"));
    }
    KVS_TRY(f(w.final_norm, d.final_norm, false, "final_norm"));
    KVS_TRY(f(w.final_norm_bias, d.final_norm_bias, false, "final_norm_bias"));
    KVS_TRY(f(w.classifier, d.classifier, true, "classifier"));
    return {};
}

WeightType type_on_device(const Tensor& t, bool matrix, bool f16) {
    return matrix ? device_weight_type(t, f16) : WeightType::F32;
}

// Uploads `t` as `d.type`: the stored bytes as they are when the types agree, else decoded
// (and converted to F16) in slices of rows, so a large matrix never needs a second full-size
// host copy.
Status upload_values(Uploader& uploader, const Tensor& t, DeviceTensor& d) {
    if (d.type == t.storage_type()) {
        const void* src = t.stored ? static_cast<const void*>(t.stored) : static_cast<const void*>(t.data.data());
        return uploader.upload(d.buffer, 0, src, d.bytes());
    }
    const bool as_f16 = d.type == WeightType::F16;
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
    return {};
}

}  // namespace

std::int64_t device_weight_bytes(const ModelWeights& w, bool f16) {
    DeviceWeights d;
    std::int64_t bytes = 0;
    (void)for_each_tensor(w, d, [&](const Tensor& t, DeviceTensor&, bool matrix, const char*) -> Status {
        if (!t.empty()) bytes += std::int64_t(t.rows) * row_bytes(type_on_device(t, matrix, f16), t.cols);
        return {};
    });
    return bytes;
}

Result<DeviceWeights> upload_weights(const VulkanContext& ctx, Uploader& uploader, const ModelWeights& w, bool f16) {
    DeviceWeights d;
    const auto& lim = ctx.limits();
    KVS_TRY(for_each_tensor(w, d, [&](const Tensor& t, DeviceTensor& dt, bool matrix, const char* what) -> Status {
        if (t.empty()) return {};
        dt.rows = t.rows;
        dt.cols = t.cols;
        dt.type = type_on_device(t, matrix, f16);
        if (dt.type == WeightType::F16 && t.cols % 2 != 0)
            return err("Vulkan F16 weights need even row widths; ", what, " has ", t.cols, " columns");
        KVS_ASSIGN(dt.buffer, Buffer::create(ctx, round_up_to_word(dt.bytes()), MemoryUse::Device));
        KVS_TRY(upload_values(uploader, t, dt));
        dt.chunks = plan_row_chunks(dt.rows, dt.row_stride(), lim.max_storage_range, lim.storage_offset_align);
        d.bytes += std::int64_t(dt.bytes());
        return {};
    }));
    if (d.position_embedding.bytes() > lim.max_storage_range)
        return err("Vulkan: the position embedding (", d.position_embedding.bytes(),
                   " bytes) exceeds one storage-buffer binding");
    auto count = [&](const DeviceTensor& t) {
        if (t.empty()) return;
        d.decode_matrix_bytes += std::int64_t(t.bytes());
        d.decode_matrix_values += std::int64_t(t.rows) * t.cols;
    };
    count(d.classifier_matrix());
    for (const DeviceLayer& l : d.layers)
        for (const DeviceTensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) count(*t);
    return d;
}

}  // namespace kvs::vk
