// The forward graph of VulkanBackend: which shaders run, on which buffers and sub-ranges, for
// one chunk of positions. The order and the math follow CpuBackend op for op.
#include <cmath>

#include "vk/shader_params.h"
#include "vk/vulkan_backend.h"

namespace kvs {

using vk::read;
using vk::write;

namespace {

std::uint64_t groups_for(std::uint64_t items, std::uint32_t group_size) { return (items + group_size - 1) / group_size; }

}  // namespace

void VulkanBackend::record_embedding(const Chunk& c) {
    const ModelConfig& cfg = model_->config;
    const vk::DeviceTensor& table = weights_.token_embedding;
    const bool positions = !weights_.position_embedding.empty();
    const vk::Pipeline& p = pipeline(vk::weight_shader("embed", table.type));
    for (const vk::RowChunk& rc : table.chunks) {
        const vk::EmbedParams params{std::uint32_t(c.rows),      std::uint32_t(cfg.dim),  rc.row0,
                                     rc.rows,                    positions ? 1u : 0u,     std::uint32_t(c.first),
                                     std::uint32_t(table.row_stride())};
        recorder_->dispatch(p,
                            {read(rows_), read(table.buffer, rc.offset, rc.range),
                             read(positions ? weights_.position_embedding.buffer : dummy_), write(x_)},
                            &params, groups_for(std::uint64_t(c.rows) * cfg.dim, vk::kLinearGroup),
                            {-1, OpKind::Embedding});
    }
    record_tap(x_, c, -1, TapPoint::Embedding);
}

void VulkanBackend::record_norm(const vk::DeviceTensor& weight, const vk::DeviceTensor& bias, const Chunk& c, OpKind op,
                                int layer) {
    const ModelConfig& cfg = model_->config;
    const vk::NormParams params{std::uint32_t(c.rows), std::uint32_t(cfg.dim), cfg.norm_eps};
    if (cfg.arch == Architecture::Gpt2)
        recorder_->dispatch(pipeline("layer_norm"), {read(x_), read(weight.buffer), read(bias.buffer), write(xb_)},
                            &params, std::uint64_t(c.rows), {layer, op});
    else
        recorder_->dispatch(pipeline("rms_norm"), {read(x_), read(weight.buffer), write(xb_)}, &params,
                            std::uint64_t(c.rows), {layer, op});
}

void VulkanBackend::record_linear(const vk::Buffer& in, const vk::DeviceTensor& w, const vk::DeviceTensor& bias,
                                  const vk::Buffer& out, int rows, std::uint32_t in_offset, vk::OpLabel label,
                                  std::uint32_t out_offset) {
    // out[rows, w.rows] = in[rows, w.cols] * w^T, one dispatch per bound row chunk of w. Up to
    // kMatvecMaxRows inputs go through the GEMV (each weight read once), more through GEMM tiles,
    // except on CPU devices: there the GEMV in blocks of kMatvecMaxRows inputs (y of the grid) is
    // several times faster than the tiles (lavapipe loads shared memory lane by lane, and every
    // barrier switches between the workgroup's subgroups). The GEMM reads its input from row 0,
    // so inputs further in (some classifier runs) go through the GEMV too. out_offset (elements)
    // moves where output row 0 goes.
    const bool gemv = rows <= int(vk::kMatvecMaxRows) || ctx_->limits().cpu || in_offset != 0;
    for (const vk::RowChunk& rc : w.chunks) {
        if (gemv) {
            const vk::MatvecParams params{rc.rows,
                                          std::uint32_t(w.cols),
                                          in_offset,
                                          out_offset + rc.row0,
                                          std::uint32_t(rows),
                                          std::uint32_t(w.cols),
                                          std::uint32_t(w.rows),
                                          std::uint32_t(w.row_stride())};
            recorder_->dispatch_2d(pipeline(vk::weight_shader("matvec", w.type)),
                                   {read(in), read(w.buffer, rc.offset, rc.range), write(out)}, &params,
                                   std::uint32_t(groups_for(rc.rows, vk::kMatvecRowsPerGroup)),
                                   std::uint32_t(groups_for(std::uint64_t(rows), vk::kMatvecMaxRows)), label);
        } else {
            const vk::MatmulParams params{std::uint32_t(rows), rc.rows, std::uint32_t(w.cols), std::uint32_t(w.rows),
                                          out_offset + rc.row0, std::uint32_t(w.row_stride())};
            recorder_->dispatch_2d(pipeline(vk::weight_shader("matmul", w.type)),
                                   {read(in), read(w.buffer, rc.offset, rc.range), write(out)}, &params,
                                   (rc.rows + vk::kMatmulBlock - 1) / vk::kMatmulBlock,
                                   (std::uint32_t(rows) + vk::kMatmulBlock - 1) / vk::kMatmulBlock, label);
        }
    }
    if (!bias.empty()) {
        const vk::BiasAddParams params{std::uint32_t(rows), std::uint32_t(w.rows)};
        recorder_->dispatch(pipeline("bias_add"), {read(bias.buffer), write(out)}, &params,
                            groups_for(std::uint64_t(rows) * w.rows, vk::kLinearGroup), label);
    }
}

void VulkanBackend::record_elementwise(const char* shader, const vk::Buffer& a, const vk::Buffer* b,
                                       std::uint32_t count, vk::OpLabel label) {
    const vk::CountParams params{count};
    if (b)
        recorder_->dispatch(pipeline(shader), {write(a), read(*b)}, &params, groups_for(count, vk::kLinearGroup), label);
    else
        recorder_->dispatch(pipeline(shader), {write(a)}, &params, groups_for(count, vk::kLinearGroup), label);
}

void VulkanBackend::record_layer(int l, const Chunk& c) {
    const ModelConfig& cfg = model_->config;
    const vk::DeviceLayer& w = weights_.layers[std::size_t(l)];
    const int m = c.rows;

    record_norm(w.attn_norm, w.attn_norm_bias, c, OpKind::AttnNorm, l);
    record_tap(xb_, c, l, TapPoint::AttnNorm);
    record_linear(xb_, w.wq, w.bq, q_, m, 0, {l, OpKind::QkvProjection});
    record_linear(xb_, w.wk, w.bk, k_, m, 0, {l, OpKind::QkvProjection});
    record_linear(xb_, w.wv, w.bv, v_, m, 0, {l, OpKind::QkvProjection});

    if (cfg.arch == Architecture::Llama) {
        const std::uint32_t half = std::uint32_t(cfg.rotary_dim() / 2);
        const std::uint32_t style = cfg.rope_style == RopeStyle::AdjacentPairs ? 0u : 1u;
        const vk::RopeParams qp{std::uint32_t(m), std::uint32_t(cfg.n_heads), std::uint32_t(cfg.head_dim()), half, style,
                                std::uint32_t(c.first)};
        recorder_->dispatch(pipeline("rope"), {read(rope_table_), write(q_), read(rows_)}, &qp,
                            groups_for(std::uint64_t(m) * cfg.n_heads * half, vk::kLinearGroup), {l, OpKind::Rope});
        vk::RopeParams kp = qp;
        kp.heads = std::uint32_t(cfg.n_kv_heads);
        recorder_->dispatch(pipeline("rope"), {read(rope_table_), write(k_), read(rows_)}, &kp,
                            groups_for(std::uint64_t(m) * cfg.n_kv_heads * half, vk::kLinearGroup), {l, OpKind::Rope});
    }
    record_tap(q_, c, l, TapPoint::Query);
    record_tap(k_, c, l, TapPoint::Key);
    record_tap(v_, c, l, TapPoint::Value);

    record_attention(l, c);

    record_linear(att_, w.wo, w.bo, xb_, m, 0, {l, OpKind::OutputProjection});
    record_tap(xb_, c, l, TapPoint::OutputProjection);
    record_elementwise("add", x_, &xb_, std::uint32_t(m * cfg.dim), {l, OpKind::Residual});
    record_tap(x_, c, l, TapPoint::AttentionResidual);

    record_norm(w.ffn_norm, w.ffn_norm_bias, c, OpKind::FfnNorm, l);
    record_tap(xb_, c, l, TapPoint::FfnNorm);
    const std::uint32_t hidden_count = std::uint32_t(m * cfg.hidden_dim);
    if (cfg.arch == Architecture::Llama) {
        record_linear(xb_, w.w_gate, {}, hidden_, m, 0, {l, OpKind::FfnGate});
        record_linear(xb_, w.w_up, w.b_up, up_, m, 0, {l, OpKind::FfnUp});
        record_elementwise("swiglu", hidden_, &up_, hidden_count, {l, OpKind::FfnActivation});
    } else {
        record_linear(xb_, w.w_up, w.b_up, hidden_, m, 0, {l, OpKind::FfnUp});
        record_elementwise("gelu", hidden_, nullptr, hidden_count, {l, OpKind::FfnActivation});
    }
    record_tap(hidden_, c, l, TapPoint::FfnHidden);
    record_linear(hidden_, w.w_down, w.b_down, xb_, m, 0, {l, OpKind::FfnDown});
    record_tap(xb_, c, l, TapPoint::FfnOutput);
    record_elementwise("add", x_, &xb_, std::uint32_t(m * cfg.dim), {l, OpKind::Residual});
    record_tap(x_, c, l, TapPoint::FfnResidual);
}

// Cache write and attention of one chunk for layer l. Every shader addresses the cache through
// the pass's row records (slot, block table) and the pool's strides (shaders/kv_address.glsl).
void VulkanBackend::record_attention(int l, const Chunk& c) {
    const ModelConfig& cfg = model_->config;
    const bool f16 = layout_.dtype == KvDtype::F16;
    const VkDeviceSize elem = VkDeviceSize(bytes_per_element(layout_.dtype));
    const VkDeviceSize part_bytes = VkDeviceSize(layout_.part_stride()) * elem;
    const VkDeviceSize align = ctx_->limits().storage_offset_align;
    // K and V blocks of a layer start wherever the layout puts them; bind from aligned offsets.
    const vk::Buffer& kv = kv_layers_[std::size_t(l)];
    const vk::SlackBinding kb = vk::slack_binding(kv_offset_in_layer(l, KvPart::Key, 0, 0), part_bytes, align, elem);
    const vk::SlackBinding vb = vk::slack_binding(kv_offset_in_layer(l, KvPart::Value, 0, 0), part_bytes, align, elem);
    const std::uint32_t m = std::uint32_t(c.rows), heads = std::uint32_t(cfg.n_heads);
    const std::uint32_t hd = std::uint32_t(cfg.head_dim()), stride = std::uint32_t(layout_.capacity);
    const std::uint32_t bs = std::uint32_t(layout_.block_positions());
    const std::uint32_t head_stride = std::uint32_t(layout_.head_stride()), block_stride = std::uint32_t(layout_.block_stride());
    const std::uint32_t row0 = std::uint32_t(c.first), group = std::uint32_t(cfg.gqa_group());
    const std::uint32_t keys = std::uint32_t(c.keys);

    const vk::KvWriteParams kw{m, std::uint32_t(cfg.n_kv_heads), hd, bs, head_stride, block_stride, row0, kb.base};
    vk::KvWriteParams vw = kw;
    vw.base = vb.base;
    const std::uint64_t kv_items = std::uint64_t(m) * cfg.kv_dim() / (f16 ? 2 : 1);
    const vk::Pipeline& kv_write = pipeline(f16 ? "kv_write_f16" : "kv_write_f32");
    recorder_->dispatch(kv_write, {read(k_), write(kv, kb.offset, kb.range), read(rows_), read(tables_)}, &kw,
                        groups_for(kv_items, vk::kLinearGroup), {l, OpKind::KvWrite});
    recorder_->dispatch(kv_write, {read(v_), write(kv, vb.offset, vb.range), read(rows_), read(tables_)}, &vw,
                        groups_for(kv_items, vk::kLinearGroup), {l, OpKind::KvWrite});

    const vk::AttnScoresParams sp{m,   heads, hd, bs, head_stride, block_stride, row0, group, 1.0f / std::sqrt(float(hd)),
                                  kb.base, keys, stride};
    recorder_->dispatch(pipeline(f16 ? "attn_scores_f16" : "attn_scores_f32"),
                        {read(q_), read(kv, kb.offset, kb.range), write(probs_), read(rows_), read(tables_)}, &sp,
                        groups_for(std::uint64_t(heads) * m * groups_for(keys, vk::kAttnScoresKeys), vk::kLinearGroup),
                        {l, OpKind::AttentionScores});
    const vk::SoftmaxParams smp{heads * m, m, stride, row0, keys};
    recorder_->dispatch(pipeline("softmax"), {write(probs_), read(rows_)}, &smp,
                        groups_for(std::uint64_t(heads) * m, vk::kSoftmaxRowsPerGroup), {l, OpKind::Softmax});

    // Only the wanted heads' rows travel back: [m, capacity] per head, trimmed on the host.
    for (std::size_t s = 0; s < capture_slots_.size(); ++s) {
        if (capture_slots_[s].layer != l) continue;
        const VkDeviceSize row_bytes = VkDeviceSize(stride) * 4;
        recorder_->copy(probs_, VkDeviceSize(capture_slots_[s].head) * m * row_bytes, capture_rb_,
                        (VkDeviceSize(s) * pass_rows_ + VkDeviceSize(c.first)) * row_bytes, VkDeviceSize(m) * row_bytes);
    }

    const vk::AttnValuesParams vp{m, heads, hd, bs, head_stride, block_stride, row0, group, vb.base, stride};
    recorder_->dispatch(pipeline(f16 ? "attn_values_f16" : "attn_values_f32"),
                        {read(probs_), read(kv, vb.offset, vb.range), write(att_), read(rows_), read(tables_)}, &vp,
                        groups_for(std::uint64_t(m) * heads * groups_for(hd, vk::kAttnValuesDims), vk::kLinearGroup),
                        {l, OpKind::AttentionValues});
    record_tap(att_, c, l, TapPoint::AttentionMix);
}

// Final norm and classifier for the rows of this chunk whose logits are wanted (each sequence's
// last row, or all its rows with all_logits), in runs of consecutive rows: a decode step of N
// sequences is one run of N rows.
void VulkanBackend::record_classifier(const Pass& pass, const Chunk& c) {
    const ModelConfig& cfg = model_->config;
    struct Run {
        int row = 0, logit_row = 0, count = 0;
    };
    std::vector<Run> runs;
    for (const PassSequence& s : pass.sequences) {
        const int begin = s.all_logits ? s.row0 : s.row0 + s.n() - 1;
        for (int r = std::max(begin, c.first); r < std::min(s.row0 + s.n(), c.first + c.rows); ++r) {
            const int logit_row = s.logit_row0 + (r - begin);
            if (!runs.empty() && runs.back().row + runs.back().count == r &&
                runs.back().logit_row + runs.back().count == logit_row)
                ++runs.back().count;
            else
                runs.push_back({r, logit_row, 1});
        }
    }
    if (runs.empty()) return;
    record_norm(weights_.final_norm, weights_.final_norm_bias, c, OpKind::FinalNorm, -1);
    const vk::DeviceTensor& cls = weights_.classifier_matrix();
    const VkDeviceSize row_bytes = VkDeviceSize(cfg.vocab_size) * 4;
    if (argmax_pass_) {
        // forward_argmax: one sequence, its last row only.
        record_linear(xb_, cls, {}, logits_, 1, std::uint32_t((runs[0].row - c.first) * cfg.dim), {-1, OpKind::Classifier});
        const vk::ArgmaxParams ap{std::uint32_t(cfg.vocab_size), 0};
        recorder_->dispatch(pipeline("argmax"), {read(logits_), write(argmax_)}, &ap, 1, {-1, OpKind::Classifier});
        recorder_->copy(argmax_, 0, argmax_rb_, 0, 4);
        return;
    }
    // Each run's logits go to their own rows of logits_ (a chunk has at most chunk_ of them).
    int local = 0;
    for (const Run& r : runs) {
        if (tap_)
            if (const Activation* a = find_activation(*tapped_, -1, TapPoint::FinalNorm))
                copy_tap_rows(xb_, r.row - c.first, std::size_t(a - tapped_->data()), r.logit_row, r.count);
        record_linear(xb_, cls, {}, logits_, r.count, std::uint32_t((r.row - c.first) * cfg.dim), {-1, OpKind::Classifier},
                      std::uint32_t(local * cfg.vocab_size));
        recorder_->copy(logits_, VkDeviceSize(local) * row_bytes, logits_rb_, VkDeviceSize(r.logit_row) * row_bytes,
                        VkDeviceSize(r.count) * row_bytes);
        local += r.count;
    }
}

void VulkanBackend::record_tap(const vk::Buffer& src, const Chunk& c, int layer, TapPoint point) {
    if (!tap_) return;
    const VkDeviceSize row_bytes = VkDeviceSize(tap_width(point, model_->config)) * 4;
    for (const ActivationPatch& p : tap_->zero)
        if (p.point == point && (p.layer == layer || !is_layer_point(point)) && p.row >= c.first && p.row < c.first + c.rows)
            recorder_->fill_zero(src, VkDeviceSize(p.row - c.first) * row_bytes, row_bytes);
    if (const Activation* a = find_activation(*tapped_, layer, point))
        copy_tap_rows(src, 0, std::size_t(a - tapped_->data()), c.first, c.rows);
}

// Rows [src_row, src_row + rows) of `src` become rows [first_row, ...) of the activation. The
// read-back was sized for exactly the planned activations: a copy past it is a defect, and it
// fails the pass (never dropped).
void VulkanBackend::copy_tap_rows(const vk::Buffer& src, int src_row, std::size_t activation, int first_row, int rows) {
    const Activation& a = (*tapped_)[activation];
    const VkDeviceSize row_bytes = VkDeviceSize(a.cols) * 4;
    const VkDeviceSize offset = tap_offsets_[activation] + VkDeviceSize(first_row) * row_bytes;
    const VkDeviceSize bytes = VkDeviceSize(rows) * row_bytes;
    if (first_row < 0 || first_row + rows > a.rows || offset + bytes > tap_rb_.size()) {
        if (tap_error_.empty())
            tap_error_ = "activation tap: rows " + std::to_string(first_row) + ".." + std::to_string(first_row + rows - 1) +
                         " of " + to_string(a.point) + " (layer " + std::to_string(a.layer) + ") fall outside its " +
                         std::to_string(a.rows) + " planned rows or the " + std::to_string(tap_rb_.size()) +
                         "-byte read-back";
        return;
    }
    recorder_->copy(src, VkDeviceSize(src_row) * row_bytes, tap_rb_, offset, bytes);
}

}  // namespace kvs
