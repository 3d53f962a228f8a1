#pragma once
// The whole forward pass on a Vulkan device. Weights are uploaded once, the KV block pool and the
// activations of up to chunk_rows() rows are allocated once; a pass (a prefill in chunks of
// chunk_rows() rows when longer, a decode step of several sequences) is one submission. Shaders
// find each token's cache slot through its sequence's block table, uploaded with the pass.
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

class VulkanBackend final : public Backend {
public:
    // max_chunk_rows > 0 caps the positions per prefill chunk (tests use it to force chunking).
    static Result<std::unique_ptr<VulkanBackend>> create(std::shared_ptr<const Model> model,
                                                         const BackendOptions& options, int max_chunk_rows = 0);
    ~VulkanBackend() override;

    std::string name() const override { return "vulkan"; }
    std::string device_name() const override { return ctx_->device_name(); }
    // Average bytes per value of the matrices a decode step reads, as stored on the device.
    double weight_bytes() const override;
    std::int64_t weight_storage_bytes() const override { return weights_.bytes; }

    // Greedy decoding on the device (default sequence): runs the pass and returns argmax of the
    // last logits, reading back one integer instead of the vocabulary.
    Result<int> forward_argmax(std::span<const int> tokens, int start_pos);

    int chunk_rows() const { return chunk_; }
    // Submissions of forward passes since creation (a prefill is one, a decode step is one).
    std::uint64_t submissions() const { return recorder_->submissions(); }
    const vk::VulkanContext& context() const { return *ctx_; }

protected:
    Status execute(const Pass& pass, ForwardOutput& out) override;
    Status read_slots(const BlockTable& table, int count, int layer, int kv_head, std::vector<float>& keys,
                      std::vector<float>& values) const override;

private:
    VulkanBackend() = default;
    Status allocate(int max_chunk_rows);
    Status ensure_buffer(vk::Buffer& buffer, VkDeviceSize bytes, vk::MemoryUse use);
    // Timestamp slots one pass can use: a dispatch count bound for a pass over the whole pool.
    std::uint32_t max_dispatches_per_pass() const;
    Status upload_rows(const Pass& pass);
    void record_copies(const Pass& pass);
    void read_attention(const Pass& pass, ForwardOutput& out) const;

    // Recording of one chunk of rows (forward_ops.cpp).
    struct Chunk {
        int first = 0;  // pass row of the chunk's first token
        int rows = 0;
        int keys = 0;   // most keys any of its queries sees
    };
    Chunk chunk_at(const Pass& pass, int first) const;
    void record_embedding(const Chunk& c);
    void record_layer(int layer, const Chunk& c);
    void record_attention(int layer, const Chunk& c);
    void record_classifier(const Pass& pass, const Chunk& c);
    void record_norm(const vk::DeviceTensor& weight, const vk::DeviceTensor& bias, const Chunk& c, OpKind op, int layer);
    void record_linear(const vk::Buffer& in, const vk::DeviceTensor& w, const vk::DeviceTensor& bias,
                       const vk::Buffer& out, int rows, std::uint32_t in_offset, vk::OpLabel label,
                       std::uint32_t out_offset = 0);
    void record_elementwise(const char* shader, const vk::Buffer& a, const vk::Buffer* b, std::uint32_t count,
                            vk::OpLabel label);
    // The activation tap after an op (core/activation_tap.h): zeroes patched rows of the chunk,
    // then copies its rows into the read-back at their place among the pass's rows.
    void record_tap(const vk::Buffer& src, const Chunk& c, int layer, TapPoint point);
    void copy_tap_rows(const vk::Buffer& src, int src_row, std::size_t activation, int first_row, int rows);
    Status plan_tap_readback(const Pass& pass, const std::vector<Activation>& activations);
    void read_tap(std::vector<Activation>& activations) const;
    const vk::Pipeline& pipeline(const std::string& name) const;

    std::shared_ptr<const Model> model_;
    BackendOptions options_;
    KvLayout layout_;  // the pool's geometry
    int chunk_ = 0;

    // Declared first, destroyed last: everything below lives on this device.
    std::unique_ptr<vk::VulkanContext> ctx_;
    std::unique_ptr<vk::PipelineLibrary> pipelines_;
    std::unique_ptr<vk::Uploader> uploader_;
    std::unique_ptr<vk::CommandRecorder> recorder_;
    vk::DeviceWeights weights_;

    // One buffer per layer ([K blocks, V blocks] in kv_dtype, engine/kv/kv_layout.h order): a
    // whole-model cache can exceed maxMemoryAllocationSize (32 layers x 4096 positions of a
    // 7B model in F32 are 4 GiB) while one layer stays well within it.
    std::vector<vk::Buffer> kv_layers_;
    VkDeviceSize kv_offset_in_layer(int layer, KvPart part, int block, int head) const;
    vk::Buffer rope_table_;   // [capacity, rotary_dim / 2] (cos, sin)
    vk::Buffer rows_;         // [pass rows] vk::PassRow, written by the host
    vk::Buffer tables_;       // block tables of the pass's sequences, one after another, uint32
    vk::Buffer x_, xb_, q_, k_, v_, att_;  // [chunk, dim] / [chunk, kv_dim]
    vk::Buffer hidden_, up_;  // [chunk, hidden]
    vk::Buffer probs_;        // [heads, chunk, capacity] scores, then probabilities
    vk::Buffer logits_;       // [chunk, vocab]
    vk::Buffer argmax_;       // [1] uint32
    vk::Buffer dummy_;        // bound where a shader's optional input is absent
    // Host-visible read-backs; they grow only when a pass needs more than any before.
    vk::Buffer logits_rb_, capture_rb_, tap_rb_, argmax_rb_;

    // Per-pass recording state.
    struct CaptureSlot {
        int layer, head;
    };
    std::vector<CaptureSlot> capture_slots_;
    int pass_rows_ = 0;
    const ActivationTap* tap_ = nullptr;        // null when the pass taps and patches nothing
    const std::vector<Activation>* tapped_ = nullptr;  // the planned activations (ForwardOutput)
    std::vector<VkDeviceSize> tap_offsets_;     // per planned activation: its place in tap_rb_; ~0 = filled on the host
    std::string tap_error_;                     // a copy that did not fit: the pass fails with it
    bool argmax_pass_ = false;  // forward_argmax: read back one index instead of the logits
};

// The factory's entry point: an error with the reason when no usable device exists.
Result<std::unique_ptr<Backend>> create_vulkan_backend(std::shared_ptr<const Model> model, const BackendOptions& options);

}  // namespace kvs
