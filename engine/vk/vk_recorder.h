#pragma once
// Records one submission: dispatches with push descriptors and push constants, a buffer
// memory barrier after every write, copies for read-backs, and timestamps that turn into
// per-(layer, op) GPU times.
#include "vk/vk_api.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "vk/vk_buffer.h"
#include "vk/vk_pipelines.h"

namespace kvs::vk {

// One storage-buffer binding: a sub-range of a buffer (range VK_WHOLE_SIZE = to the end).
struct Binding {
    const Buffer* buffer = nullptr;
    VkDeviceSize offset = 0;
    VkDeviceSize range = VK_WHOLE_SIZE;
    bool written = false;  // the dispatch writes it: a barrier follows
};
inline Binding read(const Buffer& b, VkDeviceSize offset = 0, VkDeviceSize range = VK_WHOLE_SIZE) {
    return {&b, offset, range, false};
}
inline Binding write(const Buffer& b, VkDeviceSize offset = 0, VkDeviceSize range = VK_WHOLE_SIZE) {
    return {&b, offset, range, true};
}

// A sub-range that may start anywhere: bound from the aligned offset below it, with `base`
// elements of slack the shader adds to its indices.
struct SlackBinding {
    VkDeviceSize offset = 0;
    VkDeviceSize range = 0;
    std::uint32_t base = 0;  // in elements of elem_bytes
};
inline SlackBinding slack_binding(VkDeviceSize offset, VkDeviceSize range, VkDeviceSize align, VkDeviceSize elem_bytes) {
    const VkDeviceSize aligned = offset - offset % align;
    return {aligned, range + (offset - aligned), std::uint32_t((offset - aligned) / elem_bytes)};
}

struct OpLabel {
    int layer = -1;
    OpKind op = OpKind::Embedding;
};

class CommandRecorder {
public:
    static Result<std::unique_ptr<CommandRecorder>> create(const VulkanContext& ctx, std::uint32_t max_timestamps = 4096);
    ~CommandRecorder();

    // Starts a command buffer. per_op_timestamps: one timestamp after every dispatch;
    // otherwise only the pass is timed (when the queue supports timestamps at all).
    Status begin(bool per_op_timestamps);
    // groups: workgroups in total, folded into x and y when above maxComputeWorkGroupCount[0].
    void dispatch(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push, std::uint64_t groups,
                  OpLabel label);
    // A 2-D grid (matmul tiles): x, y must each fit the device limit.
    void dispatch_2d(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push, std::uint32_t gx,
                     std::uint32_t gy, OpLabel label);
    // Copies bytes for the host to read after the submission.
    void copy(const Buffer& src, VkDeviceSize src_offset, const Buffer& dst, VkDeviceSize dst_offset, VkDeviceSize bytes);
    // Zeroes bytes of a buffer between the shaders before and after it (activation patches).
    void fill_zero(const Buffer& dst, VkDeviceSize offset, VkDeviceSize bytes);
    // Ends, submits and waits. Errors found while recording (limits exceeded) are reported here.
    Status submit_and_wait();

    std::uint32_t dispatch_count() const { return dispatches_; }
    std::uint64_t submissions() const { return submissions_; }  // since creation
    // After submit_and_wait: GPU time per (layer, op) when timed per op, and of the whole pass
    // (-1 without timestamps).
    const std::vector<OpTiming>& op_times() const { return op_times_; }
    double device_ms() const { return device_ms_; }

private:
    explicit CommandRecorder(const VulkanContext& ctx) : ctx_(ctx) {}
    void record(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push, std::uint32_t gx,
                std::uint32_t gy, OpLabel label);
    void fail(std::string message);

    const VulkanContext& ctx_;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkQueryPool queries_ = VK_NULL_HANDLE;
    std::uint32_t max_queries_ = 0;
    std::uint32_t used_queries_ = 0;
    bool per_op_ = false;
    std::uint32_t dispatches_ = 0;
    std::uint64_t submissions_ = 0;
    std::vector<OpLabel> labels_;  // label of the interval ending at query i + 1
    std::vector<OpTiming> op_times_;
    double device_ms_ = -1.0;
    std::string error_;
};

}  // namespace kvs::vk
