#include "vk/vulkan_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/kv_footprint.h"
#include "model/dtype_convert.h"
#include "vk/shader_params.h"

namespace kvs {

namespace {

// Positions per prefill chunk before the device limits are considered: large enough for
// efficient GEMM tiles, small enough that the activations stay a few MiB on big models.
constexpr int kDefaultChunkRows = 128;

// The shaders a model needs: the weight families in the type of each matrix on the device.
std::vector<std::string> pipelines_for(const Model& model, const BackendOptions& o) {
    const ModelConfig& cfg = model.config;
    const ModelWeights& w = model.weights;
    const bool f16kv = o.kv_dtype == KvDtype::F16;
    std::vector<std::string> names = {vk::weight_shader("embed", vk::device_weight_type(w.token_embedding, o.f16_weights)),
                                      "bias_add",
                                      f16kv ? "kv_write_f16" : "kv_write_f32",
                                      f16kv ? "attn_scores_f16" : "attn_scores_f32",
                                      "softmax",
                                      f16kv ? "attn_values_f16" : "attn_values_f32",
                                      "add",
                                      "argmax"};
    auto add_products = [&](const Tensor& t) {
        if (t.empty()) return;
        const WeightType type = vk::device_weight_type(t, o.f16_weights);
        for (const char* family : {"matvec", "matmul"}) {
            std::string name = vk::weight_shader(family, type);
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
        }
    };
    add_products(w.classifier_matrix());
    for (const LayerWeights& l : w.layers)
        for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) add_products(*t);
    if (cfg.arch == Architecture::Llama) {
        names.insert(names.end(), {"rms_norm", "rope", "swiglu"});
    } else {
        names.insert(names.end(), {"layer_norm", "gelu"});
    }
    return names;
}

// What the backend will allocate on the device, checked against the largest device-local heap
// before anything is uploaded: a model or cache too large for the GPU is refused with the
// figures (and the factory runs it on the CPU) instead of failing half-way through the upload.
Status check_device_memory(const vk::VulkanContext& ctx, const Model& model, const KvLayout& layout,
                           bool f16_weights) {
    const ModelConfig& cfg = model.config;
    const VkPhysicalDeviceMemoryProperties& mem = ctx.memory_properties();
    VkDeviceSize heap = 0;
    for (std::uint32_t i = 0; i < mem.memoryHeapCount; ++i)
        if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) heap = std::max(heap, mem.memoryHeaps[i].size);
    if (heap == 0) return {};  // no device-local heap to measure against
    const double weights = double(vk::device_weight_bytes(model.weights, f16_weights));
    const double kv = double(layout.bytes_allocated());
    const double chunk = std::min(layout.capacity, kDefaultChunkRows), cap = layout.capacity;
    const double activations =
        4.0 * (chunk * (4.0 * cfg.dim + 2.0 * cfg.kv_dim() + 2.0 * cfg.hidden_dim + cfg.vocab_size) +
               double(cfg.n_heads) * chunk * cap + cap * cfg.rotary_dim());
    const double total = weights + kv + activations;
    if (total <= double(heap)) return {};
    return err("Vulkan: ", ctx.device_name(), " has ", format_binary_bytes(double(heap)),
               " of device memory, less than the ", format_binary_bytes(total), " this model needs (weights ",
               format_binary_bytes(weights), ", KV cache ", format_binary_bytes(kv), ", activations ",
               format_binary_bytes(activations), ")");
}

Error device_lost_error(const vk::VulkanContext& ctx) {
    return err("Vulkan: the device (", ctx.device_name(), ") was lost (VK_ERROR_DEVICE_LOST): this run cannot go on; "
               "a new run creates the Vulkan backend again, or choose the CPU backend");
}

}  // namespace

VulkanBackend::~VulkanBackend() = default;

double VulkanBackend::weight_bytes() const {
    const vk::DeviceWeights& w = weights_;
    return w.decode_matrix_values > 0 ? double(w.decode_matrix_bytes) / double(w.decode_matrix_values) : 4.0;
}

Result<std::unique_ptr<VulkanBackend>> VulkanBackend::create(std::shared_ptr<const Model> model,
                                                             const BackendOptions& options, int max_chunk_rows) {
    if (!model) return err("Vulkan backend: no model");
    KVS_TRY(check_pool_options(options));
    const ModelConfig& cfg = model->config;
    if (cfg.head_dim() % 2 != 0 || cfg.rotary_dim() % 2 != 0)
        return err("Vulkan backend: head_dim ", cfg.head_dim(), " and rotary dim ", cfg.rotary_dim(), " must be even");
    if (cfg.n_kv_heads <= 0 || cfg.n_heads % cfg.n_kv_heads != 0)
        return err("Vulkan backend: ", cfg.n_heads, " query heads do not group over ", cfg.n_kv_heads, " KV heads");

    std::unique_ptr<VulkanBackend> b(new VulkanBackend());
    b->model_ = std::move(model);
    b->options_ = options;
    b->layout_ = cache_layout(cfg, options, options.kv_dtype);
    b->init_pool(b->layout_, options, cfg);
    b->layout_ = b->kv_layout();
    KVS_ASSIGN(b->ctx_, vk::VulkanContext::create({options.device, options.validation}));
    KVS_TRY(check_device_memory(*b->ctx_, *b->model_, b->layout_, options.f16_weights));
    b->pipelines_ = std::make_unique<vk::PipelineLibrary>(*b->ctx_);
    const std::vector<std::string> names = pipelines_for(*b->model_, options);
    KVS_TRY(b->pipelines_->prepare(std::vector<std::string_view>(names.begin(), names.end())));
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
        return err("Vulkan: one layer's K blocks (", part_bytes, " bytes for ", layout_.n_blocks, " blocks of ",
                   layout_.block_positions(), " positions) exceed maxStorageBufferRange (", max_range,
                   "); use a smaller context or fewer sequences");

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
    // Every token of a pass fills a slot of the pool, so a pass has at most the pool's positions;
    // tables hold at most a full table per sequence the pool was sized for (more only when
    // forks share blocks: then the buffer grows once).
    const VkDeviceSize pool_positions = VkDeviceSize(layout_.n_blocks) * VkDeviceSize(layout_.block_positions());
    KVS_ASSIGN(rows_, Buffer::create(*ctx_, pool_positions * sizeof(vk::PassRow), MemoryUse::Upload));
    const VkDeviceSize table_entries =
        std::max<VkDeviceSize>(VkDeviceSize(layout_.n_blocks), VkDeviceSize(layout_.batch) * layout_.blocks_per_sequence());
    KVS_ASSIGN(tables_, Buffer::create(*ctx_, table_entries * 4, MemoryUse::Upload));
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
    // Each sequence of the batch may need its own classifier run.
    std::int64_t per_chunk = chunks(weights_.token_embedding) + chunks(weights_.classifier_matrix()) * layout_.batch + 4;
    for (const vk::DeviceLayer& l : weights_.layers)
        per_chunk += 20 + chunks(l.wq) + chunks(l.wk) + chunks(l.wv) + chunks(l.wo) + chunks(l.w_gate) +
                     chunks(l.w_up) + chunks(l.w_down);
    const std::int64_t pool_positions = std::int64_t(layout_.n_blocks) * layout_.block_positions();
    const std::int64_t pass_chunks = (pool_positions + chunk_ - 1) / chunk_;
    return std::uint32_t(std::min<std::int64_t>(per_chunk * pass_chunks, 1 << 16));
}

Status VulkanBackend::ensure_buffer(vk::Buffer& buffer, VkDeviceSize bytes, vk::MemoryUse use) {
    if (buffer && buffer.size() >= bytes) return {};
    buffer.reset();
    KVS_ASSIGN(buffer, vk::Buffer::create(*ctx_, bytes, use));
    return {};
}

VkDeviceSize VulkanBackend::kv_offset_in_layer(int layer, KvPart part, int block, int head) const {
    const std::int64_t elements =
        layout_.offset(layer, part, block, head, 0) - layout_.offset(layer, KvPart::Key, 0, 0, 0);
    return VkDeviceSize(elements) * VkDeviceSize(bytes_per_element(layout_.dtype));
}

const vk::Pipeline& VulkanBackend::pipeline(const std::string& name) const {
    const vk::Pipeline* p = pipelines_->find(name);
    // Every name used while recording is prepared in create(); a miss is a programming error.
    if (!p) std::abort();
    return *p;
}

Status VulkanBackend::read_slots(const BlockTable& table, int count, int layer, int kv_head, std::vector<float>& keys,
                                 std::vector<float>& values) const {
    const std::size_t hd = std::size_t(layout_.head_dim);
    const VkDeviceSize elem = VkDeviceSize(bytes_per_element(layout_.dtype));
    for (KvPart part : {KvPart::Key, KvPart::Value}) {
        std::vector<float>& dst = part == KvPart::Key ? keys : values;
        dst.resize(std::size_t(count) * hd);
        if (count == 0) continue;
        // One region per block of the table, all read back in one submission.
        std::vector<vk::Uploader::Region> regions;
        table.for_each_span(0, count, [&](const BlockSpan& s) {
            regions.push_back({kv_offset_in_layer(layer, part, s.block, kv_head) + VkDeviceSize(s.block_slot) * hd * elem,
                               VkDeviceSize(s.count) * hd * elem});
        });
        const vk::Buffer& kv = kv_layers_[std::size_t(layer)];
        if (layout_.dtype == KvDtype::F32) {
            KVS_TRY(uploader_->download_regions(kv, regions, dst.data()));
        } else {
            std::vector<std::uint16_t> halves(dst.size());
            KVS_TRY(uploader_->download_regions(kv, regions, halves.data()));
            for (std::size_t i = 0; i < halves.size(); ++i) dst[i] = f16_to_f32(halves[i]);
        }
    }
    return {};
}

Result<int> VulkanBackend::forward_argmax(std::span<const int> tokens, int start_pos) {
    ForwardOutput out;
    argmax_pass_ = true;
    const Status s = forward(tokens, start_pos, false, {}, out);
    argmax_pass_ = false;
    KVS_TRY(s);
    std::uint32_t index = 0;
    std::memcpy(&index, argmax_rb_.mapped(), 4);
    return int(index);
}

// The pass's row records and block tables, written through mapped memory before submission.
Status VulkanBackend::upload_rows(const Pass& pass) {
    std::size_t entries = 0;
    for (const PassSequence& s : pass.sequences) entries += std::size_t(s.table->logical_blocks());
    KVS_TRY(ensure_buffer(rows_, VkDeviceSize(pass.rows) * sizeof(vk::PassRow), vk::MemoryUse::Upload));
    KVS_TRY(ensure_buffer(tables_, VkDeviceSize(std::max<std::size_t>(entries, 1)) * 4, vk::MemoryUse::Upload));
    auto* rows = static_cast<vk::PassRow*>(rows_.mapped());
    auto* tables = static_cast<std::uint32_t*>(tables_.mapped());
    std::uint32_t table = 0;
    for (const PassSequence& s : pass.sequences) {
        for (int i = 0; i < s.table->logical_blocks(); ++i) tables[table + std::uint32_t(i)] = std::uint32_t(s.table->block(i));
        for (int i = 0; i < s.n(); ++i)
            rows[s.row0 + i] = {std::uint32_t(s.tokens[std::size_t(i)]), std::uint32_t(s.first_position + i),
                                std::uint32_t(s.first_slot + i), table};
        table += std::uint32_t(s.table->logical_blocks());
    }
    return {};
}

// Copy on write: a copied block is every layer's K and V rows of the block, one run per KV head.
void VulkanBackend::record_copies(const Pass& pass) {
    const VkDeviceSize bytes = VkDeviceSize(layout_.block_stride()) * VkDeviceSize(bytes_per_element(layout_.dtype));
    for (const BlockCopy& c : pass.copies)
        for (int l = 0; l < layout_.n_layers; ++l)
            for (KvPart part : {KvPart::Key, KvPart::Value})
                for (int h = 0; h < layout_.n_kv_heads; ++h)
                    recorder_->copy(kv_layers_[std::size_t(l)], kv_offset_in_layer(l, part, c.source, h),
                                    kv_layers_[std::size_t(l)], kv_offset_in_layer(l, part, c.target, h), bytes);
}

VulkanBackend::Chunk VulkanBackend::chunk_at(const Pass& pass, int first) const {
    Chunk c{first, std::min(chunk_, pass.rows - first), 0};
    for (const PassSequence& s : pass.sequences) {
        const int last = std::min(s.row0 + s.n(), c.first + c.rows) - 1;  // last row of s in the chunk
        if (last >= c.first && last >= s.row0) c.keys = std::max(c.keys, s.first_slot + (last - s.row0) + 1);
    }
    return c;
}

Status VulkanBackend::execute(const Pass& pass, ForwardOutput& out) {
    if (ctx_->device_lost()) return device_lost_error(*ctx_);
    const ModelConfig& cfg = model_->config;
    const int n = pass.rows, cap = layout_.capacity;
    if (argmax_pass_ && (pass.sequences.size() != 1 || pass.sequences[0].all_logits))
        return err("forward_argmax: one sequence, last logits only");
    KVS_TRY(upload_rows(pass));

    pass_rows_ = n;
    capture_slots_.clear();
    if (pass.capture->enabled())
        for (int l = 0; l < cfg.n_layers; ++l)
            for (int h = 0; h < cfg.n_heads; ++h)
                if (pass.capture->wants(l, h)) capture_slots_.push_back({l, h});
    if (!capture_slots_.empty())
        KVS_TRY(ensure_buffer(capture_rb_, VkDeviceSize(capture_slots_.size()) * n * cap * 4, vk::MemoryUse::Readback));
    if (!argmax_pass_)
        KVS_TRY(ensure_buffer(logits_rb_, VkDeviceSize(pass.logit_rows) * cfg.vocab_size * 4, vk::MemoryUse::Readback));
    KVS_TRY(plan_tap_readback(pass, out.activations));

    KVS_TRY(recorder_->begin(options_.measure_ops));
    record_copies(pass);
    for (int first = 0; first < n; first += chunk_) {
        const Chunk c = chunk_at(pass, first);
        record_embedding(c);
        for (int l = 0; l < cfg.n_layers; ++l) record_layer(l, c);
        record_classifier(pass, c);
    }
    if (!tap_error_.empty()) {
        (void)recorder_->submit_and_wait();  // ends the recording; the pass's results are not used
        return err(tap_error_);
    }
    if (Status s = recorder_->submit_and_wait(); !s) return ctx_->device_lost() ? device_lost_error(*ctx_) : s;
    read_tap(out.activations);

    out.logits.clear();
    out.attention.clear();
    out.op_times = options_.measure_ops ? recorder_->op_times() : std::vector<OpTiming>{};
    out.device_ms = recorder_->device_ms();
    out.logit_rows = argmax_pass_ ? 0 : pass.logit_rows;
    if (!argmax_pass_) {
        const float* logits = static_cast<const float*>(logits_rb_.mapped());
        out.logits.assign(logits, logits + std::size_t(pass.logit_rows) * cfg.vocab_size);
    }
    read_attention(pass, out);
    return {};
}

// Each planned activation gets its own range of the read-back (Logits come from the logits the
// pass returns anyway). Its size is what the tap's budget was checked against.
Status VulkanBackend::plan_tap_readback(const Pass& pass, const std::vector<Activation>& activations) {
    tap_ = pass.tap && pass.tap->active() ? pass.tap : nullptr;
    tapped_ = &activations;
    tap_error_.clear();
    tap_offsets_.assign(activations.size(), ~VkDeviceSize(0));
    VkDeviceSize bytes = 0;
    for (std::size_t i = 0; i < activations.size(); ++i) {
        if (activations[i].point == TapPoint::Logits) continue;
        tap_offsets_[i] = bytes;
        bytes += VkDeviceSize(activations[i].values.size()) * 4;
    }
    if (bytes > 0) KVS_TRY(ensure_buffer(tap_rb_, bytes, vk::MemoryUse::Readback));
    return {};
}

void VulkanBackend::read_tap(std::vector<Activation>& activations) const {
    for (std::size_t i = 0; i < activations.size(); ++i) {
        if (tap_offsets_[i] == ~VkDeviceSize(0)) continue;
        const float* src = reinterpret_cast<const float*>(static_cast<const char*>(tap_rb_.mapped()) + tap_offsets_[i]);
        std::copy_n(src, activations[i].values.size(), activations[i].values.data());
    }
}

// Captured rows come back as [slot][pass row][capacity]; each sequence gets its own rows,
// trimmed to its keys (entries past the causal limit are 0, as in the CPU backend), in the CPU
// backend's order: by layer, then sequence, then head.
void VulkanBackend::read_attention(const Pass& pass, ForwardOutput& out) const {
    const float* probs = static_cast<const float*>(capture_rb_ ? capture_rb_.mapped() : nullptr);
    const std::size_t cap = std::size_t(layout_.capacity);
    for (std::size_t first = 0, end = 0; first < capture_slots_.size(); first = end) {
        end = first;
        while (end < capture_slots_.size() && capture_slots_[end].layer == capture_slots_[first].layer) ++end;
        for (const PassSequence& s : pass.sequences)
            for (std::size_t slot = first; slot < end; ++slot) {
                AttentionRows rows;
                rows.sequence = s.sequence;
                rows.layer = capture_slots_[slot].layer;
                rows.head = capture_slots_[slot].head;
                rows.first_query = s.first_slot;
                rows.n_queries = s.n();
                rows.n_keys = s.keys();
                rows.probs.assign(std::size_t(s.n()) * rows.n_keys, 0.0f);
                for (int i = 0; i < s.n(); ++i) {
                    const float* src = probs + (slot * std::size_t(pass_rows_) + std::size_t(s.row0 + i)) * cap;
                    std::copy_n(src, s.first_slot + i + 1, rows.probs.data() + std::size_t(i) * rows.n_keys);
                }
                out.attention.push_back(std::move(rows));
            }
    }
}

Result<std::unique_ptr<Backend>> create_vulkan_backend(std::shared_ptr<const Model> model, const BackendOptions& options) {
    auto b = VulkanBackend::create(std::move(model), options);
    if (!b.ok()) return b.error();
    return std::unique_ptr<Backend>(std::move(b).value());
}

}  // namespace kvs
