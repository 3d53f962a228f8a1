#include "vk/vulkan_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/dtype_convert.h"

namespace kvs {

namespace {

// Positions per prefill chunk before the device limits are considered: large enough for
// efficient GEMM tiles, small enough that the activations stay a few MiB on big models.
constexpr int kDefaultChunkRows = 128;

std::vector<std::string_view> pipelines_for(const ModelConfig& cfg, const BackendOptions& o) {
    const bool f16w = o.f16_weights, f16kv = o.kv_dtype == KvDtype::F16;
    std::vector<std::string_view> names = {
        f16w ? "embed_f16" : "embed_f32",         f16w ? "matmul_f16" : "matmul_f32",
        f16w ? "matvec_f16" : "matvec_f32",       "bias_add",
        f16kv ? "kv_write_f16" : "kv_write_f32",  f16kv ? "attn_scores_f16" : "attn_scores_f32",
        "softmax",                                f16kv ? "attn_values_f16" : "attn_values_f32",
        "add",                                    "argmax"};
    if (cfg.arch == Architecture::Llama) {
        names.insert(names.end(), {"rms_norm", "rope", "swiglu"});
    } else {
        names.insert(names.end(), {"layer_norm", "gelu"});
    }
    return names;
}

}  // namespace

VulkanBackend::~VulkanBackend() = default;

Result<std::unique_ptr<VulkanBackend>> VulkanBackend::create(std::shared_ptr<const Model> model,
                                                             const BackendOptions& options, int max_chunk_rows) {
    if (!model) return err("Vulkan backend: no model");
    const ModelConfig& cfg = model->config;
    if (cfg.head_dim() % 2 != 0 || cfg.rotary_dim() % 2 != 0)
        return err("Vulkan backend: head_dim ", cfg.head_dim(), " and rotary dim ", cfg.rotary_dim(), " must be even");
    if (cfg.n_kv_heads <= 0 || cfg.n_heads % cfg.n_kv_heads != 0)
        return err("Vulkan backend: ", cfg.n_heads, " query heads do not group over ", cfg.n_kv_heads, " KV heads");

    std::unique_ptr<VulkanBackend> b(new VulkanBackend());
    b->model_ = std::move(model);
    b->options_ = options;
    b->layout_ = cache_layout(cfg, options, options.kv_dtype);
    KVS_ASSIGN(b->ctx_, vk::VulkanContext::create({options.device, options.validation}));
    b->pipelines_ = std::make_unique<vk::PipelineLibrary>(*b->ctx_);
    KVS_TRY(b->pipelines_->prepare(pipelines_for(cfg, options)));
    KVS_ASSIGN(b->uploader_, vk::Uploader::create(*b->ctx_));
    KVS_ASSIGN(b->weights_, vk::upload_weights(*b->ctx_, *b->uploader_, b->model_->weights, options.f16_weights));
    KVS_TRY(b->allocate(max_chunk_rows));
    KVS_ASSIGN(b->recorder_, vk::CommandRecorder::create(*b->ctx_, b->max_dispatches_per_pass() + 2));
    return b;
}

Status VulkanBackend::allocate(int max_chunk_rows) {
    const ModelConfig& cfg = model_->config;
    const vk::DeviceLimits& lim = ctx_->limits();
    const VkDeviceSize max_range = lim.max_storage_range;
    const int cap = layout_.capacity;
    const VkDeviceSize kv_elem = VkDeviceSize(bytes_per_element(layout_.dtype));

    const VkDeviceSize part_bytes = VkDeviceSize(layout_.part_stride()) * kv_elem;
    if (part_bytes + lim.storage_offset_align > max_range)
        return err("Vulkan: one layer's K block (", part_bytes, " bytes for ", cap,
                   " positions) exceeds maxStorageBufferRange (", max_range, "); use a smaller context");

    // Positions per chunk: every per-chunk buffer must fit one binding.
    std::int64_t chunk = std::min(cap, max_chunk_rows > 0 ? max_chunk_rows : kDefaultChunkRows);
    const std::int64_t widest = std::max({std::int64_t(cfg.dim), std::int64_t(cfg.hidden_dim), std::int64_t(cfg.vocab_size),
                                          std::int64_t(cfg.n_heads) * cap});
    chunk = std::min<std::int64_t>(chunk, std::int64_t(max_range / (VkDeviceSize(widest) * 4)));
    if (chunk < 1) return err("Vulkan: a single position's activations exceed maxStorageBufferRange (", max_range, ")");
    chunk_ = int(chunk);

    using vk::Buffer;
    using vk::MemoryUse;
    const VkDeviceSize c = VkDeviceSize(chunk_);
    for (int l = 0; l < cfg.n_layers; ++l) {
        KVS_ASSIGN(Buffer layer_kv, Buffer::create(*ctx_, VkDeviceSize(layout_.layer_stride()) * kv_elem, MemoryUse::Device));
        kv_layers_.push_back(std::move(layer_kv));
    }
    KVS_ASSIGN(tokens_, Buffer::create(*ctx_, VkDeviceSize(cap) * 4, MemoryUse::Upload));
    KVS_ASSIGN(x_, Buffer::create(*ctx_, c * cfg.dim * 4, MemoryUse::Device));
    KVS_ASSIGN(xb_, Buffer::create(*ctx_, c * cfg.dim * 4, MemoryUse::Device));
    KVS_ASSIGN(q_, Buffer::create(*ctx_, c * cfg.dim * 4, MemoryUse::Device));
    KVS_ASSIGN(att_, Buffer::create(*ctx_, c * cfg.dim * 4, MemoryUse::Device));
    KVS_ASSIGN(k_, Buffer::create(*ctx_, c * cfg.kv_dim() * 4, MemoryUse::Device));
    KVS_ASSIGN(v_, Buffer::create(*ctx_, c * cfg.kv_dim() * 4, MemoryUse::Device));
    KVS_ASSIGN(hidden_, Buffer::create(*ctx_, c * cfg.hidden_dim * 4, MemoryUse::Device));
    KVS_ASSIGN(up_, Buffer::create(*ctx_, c * cfg.hidden_dim * 4, MemoryUse::Device));
    KVS_ASSIGN(probs_, Buffer::create(*ctx_, VkDeviceSize(cfg.n_heads) * c * cap * 4, MemoryUse::Device));
    KVS_ASSIGN(logits_, Buffer::create(*ctx_, c * cfg.vocab_size * 4, MemoryUse::Device));
    KVS_ASSIGN(argmax_, Buffer::create(*ctx_, 16, MemoryUse::Device));
    KVS_ASSIGN(dummy_, Buffer::create(*ctx_, 16, MemoryUse::Device));
    KVS_ASSIGN(argmax_rb_, Buffer::create(*ctx_, 16, MemoryUse::Readback));
    KVS_ASSIGN(logits_rb_, Buffer::create(*ctx_, VkDeviceSize(cfg.vocab_size) * 4, MemoryUse::Readback));

    // RoPE angles computed once on the host exactly as cpu::rope does, so that the device
    // rotates by bit-identical cos/sin whatever its transcendental precision.
    const int half = cfg.rotary_dim() / 2;
    std::vector<float> table(std::size_t(cap) * half * 2);
    for (int pos = 0; pos < cap; ++pos)
        for (int j = 0; j < half; ++j) {
            const float freq = 1.0f / std::pow(cfg.rope_theta, float(2 * j) / float(cfg.rotary_dim()));
            const float angle = float(pos) * freq;
            table[(std::size_t(pos) * half + j) * 2] = std::cos(angle);
            table[(std::size_t(pos) * half + j) * 2 + 1] = std::sin(angle);
        }
    KVS_ASSIGN(rope_table_, Buffer::create(*ctx_, table.size() * 4, MemoryUse::Device));
    KVS_TRY(uploader_->upload(rope_table_, 0, table.data(), table.size() * 4));
    return {};
}

std::uint32_t VulkanBackend::max_dispatches_per_pass() const {
    // Per chunk: the embedding and classifier chunks, the final norm and argmax, and per layer
    // at most 20 fixed dispatches plus one per row chunk of each of its 7 matrices.
    auto chunks = [](const vk::DeviceTensor& t) { return std::int64_t(t.chunks.size()); };
    std::int64_t per_chunk = chunks(weights_.token_embedding) + chunks(weights_.classifier_matrix()) + 4;
    for (const vk::DeviceLayer& l : weights_.layers)
        per_chunk += 20 + chunks(l.wq) + chunks(l.wk) + chunks(l.wv) + chunks(l.wo) + chunks(l.w_gate) +
                     chunks(l.w_up) + chunks(l.w_down);
    const std::int64_t pass_chunks = (layout_.capacity + chunk_ - 1) / chunk_;
    return std::uint32_t(std::min<std::int64_t>(per_chunk * pass_chunks, 1 << 16));
}

Status VulkanBackend::ensure_readback(vk::Buffer& buffer, VkDeviceSize bytes) {
    if (buffer && buffer.size() >= bytes) return {};
    buffer.reset();
    KVS_ASSIGN(buffer, vk::Buffer::create(*ctx_, bytes, vk::MemoryUse::Readback));
    return {};
}

VkDeviceSize VulkanBackend::kv_offset_in_layer(int layer, KvPart part, int head) const {
    const std::int64_t elements = layout_.offset(layer, part, 0, head, 0) - layout_.offset(layer, KvPart::Key, 0, 0, 0);
    return VkDeviceSize(elements) * VkDeviceSize(bytes_per_element(layout_.dtype));
}

void VulkanBackend::truncate_cache(int length) { length_ = std::clamp(length, 0, length_); }

const vk::Pipeline& VulkanBackend::pipeline(const std::string& name) const {
    const vk::Pipeline* p = pipelines_->find(name);
    // Every name used while recording is prepared in create(); a miss is a programming error.
    if (!p) std::abort();
    return *p;
}

Status VulkanBackend::read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const {
    const ModelConfig& cfg = model_->config;
    if (layer < 0 || layer >= cfg.n_layers || kv_head < 0 || kv_head >= cfg.n_kv_heads)
        return err("read_kv: layer ", layer, " / kv head ", kv_head, " out of range (", cfg.n_layers, " layers, ",
                   cfg.n_kv_heads, " KV heads)");
    const std::size_t count = std::size_t(length_) * layout_.head_dim;
    for (KvPart part : {KvPart::Key, KvPart::Value}) {
        std::vector<float>& dst = part == KvPart::Key ? keys : values;
        dst.resize(count);
        const VkDeviceSize offset = kv_offset_in_layer(layer, part, kv_head);
        const vk::Buffer& kv = kv_layers_[std::size_t(layer)];
        if (count == 0) continue;
        if (layout_.dtype == KvDtype::F32) {
            KVS_TRY(uploader_->download(kv, offset, dst.data(), count * 4));
        } else {
            std::vector<std::uint16_t> halves(count);
            KVS_TRY(uploader_->download(kv, offset, halves.data(), count * 2));
            for (std::size_t i = 0; i < count; ++i) dst[i] = f16_to_f32(halves[i]);
        }
    }
    return {};
}

Status VulkanBackend::forward(std::span<const int> tokens, int start_pos, bool all_logits,
                              const AttentionCapture& capture, ForwardOutput& out) {
    return run_pass(tokens, start_pos, all_logits, capture, false, &out);
}

Result<int> VulkanBackend::forward_argmax(std::span<const int> tokens, int start_pos) {
    KVS_TRY(run_pass(tokens, start_pos, false, {}, true, nullptr));
    std::uint32_t index = 0;
    std::memcpy(&index, argmax_rb_.mapped(), 4);
    return int(index);
}

Status VulkanBackend::run_pass(std::span<const int> tokens, int start_pos, bool all_logits,
                               const AttentionCapture& capture, bool argmax, ForwardOutput* out) {
    const ModelConfig& cfg = model_->config;
    const int n = int(tokens.size());
    const int cap = layout_.capacity;
    if (n == 0) return err("forward: no tokens to process");
    if (start_pos != length_)
        return err("forward: start position ", start_pos, " does not follow the cache, which holds ", length_,
                   " positions");
    if (start_pos + n > cap)
        return err("context full: positions up to ", start_pos + n, " exceed the KV cache capacity of ", cap,
                   " positions");
    for (int t : tokens)
        if (t < 0 || t >= cfg.vocab_size)
            return err("token id ", t, " is outside the vocabulary (0..", cfg.vocab_size - 1, ")");

    auto* ids = static_cast<std::uint32_t*>(tokens_.mapped());
    for (int i = 0; i < n; ++i) ids[i] = std::uint32_t(tokens[std::size_t(i)]);

    pass_tokens_ = n;
    all_logits_ = all_logits && !argmax;
    argmax_pass_ = argmax;
    capture_slots_.clear();
    if (capture.enabled())
        for (int l = 0; l < cfg.n_layers; ++l)
            for (int h = 0; h < cfg.n_heads; ++h)
                if (capture.wants(l, h)) capture_slots_.push_back({l, h});
    if (!capture_slots_.empty())
        KVS_TRY(ensure_readback(capture_rb_, VkDeviceSize(capture_slots_.size()) * n * cap * 4));
    const int logit_rows = all_logits_ ? n : 1;
    if (!argmax) KVS_TRY(ensure_readback(logits_rb_, VkDeviceSize(logit_rows) * cfg.vocab_size * 4));
    dump_entries_.clear();
    dump_used_ = 0;
    if (dump_enabled_) {
        // At most 15 tensors per layer and chunk plus the embedding and the final norm.
        const VkDeviceSize widest = VkDeviceSize(std::max(cfg.dim, cfg.hidden_dim));
        KVS_TRY(ensure_readback(dump_rb_, VkDeviceSize(n) * (VkDeviceSize(cfg.n_layers) * 15 + 2) * widest * 4));
    }

    KVS_TRY(recorder_->begin(options_.measure_ops));
    for (int first = 0; first < n; first += chunk_) {
        const Chunk c{first, std::min(chunk_, n - first), start_pos + first};
        record_embedding(c);
        for (int l = 0; l < cfg.n_layers; ++l) record_layer(l, c);
        const bool last = first + c.rows == n;
        if (last || all_logits_) record_classifier(c, all_logits_);
    }
    KVS_TRY(recorder_->submit_and_wait());
    length_ = start_pos + n;

    dumps_.clear();
    for (const DumpEntry& e : dump_entries_) {
        ActivationDump d = e.meta;
        const float* src = reinterpret_cast<const float*>(static_cast<const char*>(dump_rb_.mapped()) + e.offset);
        d.values.assign(src, src + std::size_t(d.rows) * d.cols);
        dumps_.push_back(std::move(d));
    }
    if (!out) return {};

    out->logits.clear();
    out->attention.clear();
    out->op_times = options_.measure_ops ? recorder_->op_times() : std::vector<OpTiming>{};
    out->device_ms = recorder_->device_ms();
    const float* logits = static_cast<const float*>(logits_rb_.mapped());
    out->logits.assign(logits, logits + std::size_t(logit_rows) * cfg.vocab_size);
    out->logit_rows = logit_rows;

    const float* probs = static_cast<const float*>(capture_rb_ ? capture_rb_.mapped() : nullptr);
    for (std::size_t s = 0; s < capture_slots_.size(); ++s) {
        AttentionRows rows;
        rows.layer = capture_slots_[s].layer;
        rows.head = capture_slots_[s].head;
        rows.first_query = start_pos;
        rows.n_queries = n;
        rows.n_keys = start_pos + n;
        rows.probs.assign(std::size_t(n) * rows.n_keys, 0.0f);
        for (int i = 0; i < n; ++i) {
            const float* src = probs + (s * std::size_t(n) + std::size_t(i)) * cap;
            // Keys past the causal limit stay 0, as in the CPU backend.
            std::copy_n(src, start_pos + i + 1, rows.probs.data() + std::size_t(i) * rows.n_keys);
        }
        out->attention.push_back(std::move(rows));
    }
    return {};
}

Result<std::unique_ptr<Backend>> create_vulkan_backend(std::shared_ptr<const Model> model, const BackendOptions& options) {
    auto b = VulkanBackend::create(std::move(model), options);
    if (!b.ok()) return b.error();
    return std::unique_ptr<Backend>(std::move(b).value());
}

}  // namespace kvs
