#pragma once
// The whole forward pass on a Vulkan device. Weights are uploaded once, the KV cache and the
// activations of up to chunk_rows() positions are allocated once; a prefill (in chunks of
// chunk_rows() positions when longer) is one submission and so is each decode step.
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "model/model.h"
#include "vk/vk_buffer.h"
#include "vk/vk_context.h"
#include "vk/vk_pipelines.h"
#include "vk/vk_recorder.h"
#include "vk/vk_weights.h"

namespace kvs {

// An intermediate activation copied back when the dump is on (debugging divergence from the
// CPU reference): `rows` positions of a [rows, cols] tensor after (layer, op).
struct ActivationDump {
    int layer = -1;
    OpKind op = OpKind::Embedding;
    std::string tensor;  // "x", "xb", "q", "k", "v", "att", "hidden", "up"
    int first_row = 0;   // row of the pass this chunk starts at
    int rows = 0;
    int cols = 0;
    std::vector<float> values;
};

class VulkanBackend final : public Backend {
public:
    // max_chunk_rows > 0 caps the positions per prefill chunk (tests use it to force chunking).
    static Result<std::unique_ptr<VulkanBackend>> create(std::shared_ptr<const Model> model,
                                                         const BackendOptions& options, int max_chunk_rows = 0);
    ~VulkanBackend() override;

    std::string name() const override { return "vulkan"; }
    std::string device_name() const override { return ctx_->device_name(); }
    int weight_bytes() const override { return options_.f16_weights ? 2 : 4; }
    Status forward(std::span<const int> tokens, int start_pos, bool all_logits, const AttentionCapture& capture,
                   ForwardOutput& out) override;
    int cache_length() const override { return length_; }
    void truncate_cache(int length) override;
    const KvLayout& kv_layout() const override { return layout_; }
    Status read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const override;

    // Greedy decoding on the device: runs the pass and returns argmax of the last logits,
    // reading back one integer instead of the vocabulary.
    Result<int> forward_argmax(std::span<const int> tokens, int start_pos);

    // When on, forward() also copies every op's output back (slow; for divergence checks).
    void set_activation_dump(bool on) { dump_enabled_ = on; }
    const std::vector<ActivationDump>& activation_dumps() const { return dumps_; }

    int chunk_rows() const { return chunk_; }
    // Submissions of forward passes since creation (a prefill is one, a decode step is one).
    std::uint64_t submissions() const { return recorder_->submissions(); }
    const vk::VulkanContext& context() const { return *ctx_; }

private:
    VulkanBackend() = default;
    Status allocate(int max_chunk_rows);
    Status ensure_readback(vk::Buffer& buffer, VkDeviceSize bytes);
    // Timestamp slots one pass can use: a dispatch count bound for a full-context prefill.
    std::uint32_t max_dispatches_per_pass() const;
    Status run_pass(std::span<const int> tokens, int start_pos, bool all_logits, const AttentionCapture& capture,
                    bool argmax, ForwardOutput* out);

    // Recording of one chunk of positions (forward_ops.cpp).
    struct Chunk {
        int first = 0;  // index of the chunk's first token in the pass
        int rows = 0;
        int pos0 = 0;   // position of its first token
    };
    void record_embedding(const Chunk& c);
    void record_layer(int layer, const Chunk& c);
    void record_attention(int layer, const Chunk& c);
    void record_classifier(const Chunk& c, bool all_logits);
    void record_norm(const vk::DeviceTensor& weight, const vk::DeviceTensor& bias, const Chunk& c, OpKind op, int layer);
    void record_linear(const vk::Buffer& in, const vk::DeviceTensor& w, const vk::DeviceTensor& bias,
                       const vk::Buffer& out, int rows, std::uint32_t in_offset, vk::OpLabel label);
    void record_elementwise(const char* shader, const vk::Buffer& a, const vk::Buffer* b, std::uint32_t count,
                            vk::OpLabel label);
    void record_dump(const vk::Buffer& src, const char* tensor, int cols, const Chunk& c, int layer, OpKind op);
    const vk::Pipeline& pipeline(const std::string& name) const;

    std::shared_ptr<const Model> model_;
    BackendOptions options_;
    KvLayout layout_;
    int length_ = 0;
    int chunk_ = 0;

    // Declared first, destroyed last: everything below lives on this device.
    std::unique_ptr<vk::VulkanContext> ctx_;
    std::unique_ptr<vk::PipelineLibrary> pipelines_;
    std::unique_ptr<vk::Uploader> uploader_;
    std::unique_ptr<vk::CommandRecorder> recorder_;
    vk::DeviceWeights weights_;

    // One buffer per layer ([K block, V block] in kv_dtype, engine/kv/kv_layout.h order): a
    // whole-model cache can exceed maxMemoryAllocationSize (32 layers x 4096 positions of a
    // 7B model in F32 are 4 GiB) while one layer stays well within it.
    std::vector<vk::Buffer> kv_layers_;
    VkDeviceSize kv_offset_in_layer(int layer, KvPart part, int head) const;
    vk::Buffer rope_table_;   // [capacity, rotary_dim / 2] (cos, sin)
    vk::Buffer tokens_;       // [capacity] uint32, written by the host
    vk::Buffer x_, xb_, q_, k_, v_, att_;  // [chunk, dim] / [chunk, kv_dim]
    vk::Buffer hidden_, up_;  // [chunk, hidden]
    vk::Buffer probs_;        // [heads, chunk, capacity] scores, then probabilities
    vk::Buffer logits_;       // [chunk, vocab]
    vk::Buffer argmax_;       // [1] uint32
    vk::Buffer dummy_;        // bound where a shader's optional input is absent
    // Host-visible read-backs; they grow only when a pass needs more than any before.
    vk::Buffer logits_rb_, capture_rb_, dump_rb_, argmax_rb_;

    // Per-pass recording state.
    struct CaptureSlot {
        int layer, head;
    };
    std::vector<CaptureSlot> capture_slots_;
    int pass_tokens_ = 0;
    struct DumpEntry {
        ActivationDump meta;
        VkDeviceSize offset;
    };
    std::vector<DumpEntry> dump_entries_;
    VkDeviceSize dump_used_ = 0;
    bool dump_enabled_ = false;
    std::vector<ActivationDump> dumps_;
    bool all_logits_ = false;
    bool argmax_pass_ = false;
};

// The factory's entry point: an error with the reason when no usable device exists.
Result<std::unique_ptr<Backend>> create_vulkan_backend(std::shared_ptr<const Model> model, const BackendOptions& options);

}  // namespace kvs
