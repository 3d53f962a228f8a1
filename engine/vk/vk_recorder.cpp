#include "vk/vk_recorder.h"

#include <algorithm>
#include <cstring>

namespace kvs::vk {

Result<std::unique_ptr<CommandRecorder>> CommandRecorder::create(const VulkanContext& ctx, std::uint32_t max_timestamps) {
    std::unique_ptr<CommandRecorder> r(new CommandRecorder(ctx));
    KVS_TRY(ctx.allocate_submission(r->cmd_, r->fence_));
    if (ctx.limits().timestamps) {
        VkQueryPoolCreateInfo qci{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        qci.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qci.queryCount = std::max<std::uint32_t>(max_timestamps, 2);
        KVS_VK(vkCreateQueryPool(ctx.device(), &qci, nullptr, &r->queries_));
        r->max_queries_ = qci.queryCount;
    }
    return r;
}

CommandRecorder::~CommandRecorder() {
    if (queries_) vkDestroyQueryPool(ctx_.device(), queries_, nullptr);
    if (fence_) vkDestroyFence(ctx_.device(), fence_, nullptr);
    if (cmd_) vkFreeCommandBuffers(ctx_.device(), ctx_.command_pool(), 1, &cmd_);
}

void CommandRecorder::fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
}

Status CommandRecorder::begin(bool per_op_timestamps) {
    KVS_VK(vkResetCommandBuffer(cmd_, 0));
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    KVS_VK(vkBeginCommandBuffer(cmd_, &bi));
    per_op_ = per_op_timestamps && queries_;
    dispatches_ = 0;
    used_queries_ = 0;
    labels_.clear();
    op_times_.clear();
    device_ms_ = -1.0;
    error_.clear();
    if (queries_) {
        vkCmdResetQueryPool(cmd_, queries_, 0, max_queries_);
        vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_, used_queries_++);
    }
    return {};
}

void CommandRecorder::dispatch(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push,
                               std::uint64_t groups, OpLabel label) {
    if (groups == 0) return;
    const std::uint64_t max_x = ctx_.limits().max_group_count[0];
    const std::uint64_t gx = std::min(groups, max_x);
    const std::uint64_t gy = (groups + gx - 1) / gx;
    if (gy > ctx_.limits().max_group_count[1]) {
        fail("Vulkan: " + p.name + " needs " + std::to_string(groups) + " workgroups, beyond the device's limit");
        return;
    }
    record(p, bindings, push, std::uint32_t(gx), std::uint32_t(gy), label);
}

void CommandRecorder::dispatch_2d(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push,
                                  std::uint32_t gx, std::uint32_t gy, OpLabel label) {
    if (gx == 0 || gy == 0) return;
    if (gx > ctx_.limits().max_group_count[0] || gy > ctx_.limits().max_group_count[1]) {
        fail("Vulkan: " + p.name + " grid " + std::to_string(gx) + "x" + std::to_string(gy) +
             " exceeds maxComputeWorkGroupCount");
        return;
    }
    record(p, bindings, push, gx, gy, label);
}

void CommandRecorder::record(const Pipeline& p, std::initializer_list<Binding> bindings, const void* push,
                             std::uint32_t gx, std::uint32_t gy, OpLabel label) {
    if (bindings.size() != p.bindings) {
        fail("Vulkan: " + p.name + " takes " + std::to_string(p.bindings) + " buffers, got " +
             std::to_string(bindings.size()));
        return;
    }
    VkDescriptorBufferInfo infos[8];
    VkWriteDescriptorSet writes[8];
    std::uint32_t i = 0;
    for (const Binding& b : bindings) {
        const VkDeviceSize range = b.range == VK_WHOLE_SIZE ? b.buffer->size() - b.offset : b.range;
        if (range > ctx_.limits().max_storage_range)
            fail("Vulkan: " + p.name + " binding " + std::to_string(i) + " spans " + std::to_string(range) +
                 " bytes, above maxStorageBufferRange " + std::to_string(ctx_.limits().max_storage_range));
        if (b.offset % ctx_.limits().storage_offset_align != 0)
            fail("Vulkan: " + p.name + " binding " + std::to_string(i) + " offset " + std::to_string(b.offset) +
                 " is not aligned to " + std::to_string(ctx_.limits().storage_offset_align));
        infos[i] = {b.buffer->handle(), b.offset, range};
        writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
        ++i;
    }
    if (!error_.empty()) return;
    vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
    ctx_.push_descriptor_set()(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, i, writes);
    vkCmdPushConstants(cmd_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, p.push_bytes, push);
    vkCmdDispatch(cmd_, gx, gy, 1);
    ++dispatches_;

    // Every written range becomes visible to later shaders and copies. The barrier also orders
    // this dispatch before everything after it, which covers write-after-read reuse of buffers.
    VkBufferMemoryBarrier barriers[8];
    std::uint32_t nb = 0;
    for (const Binding& b : bindings) {
        if (!b.written) continue;
        barriers[nb] = {VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
        barriers[nb].srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
        barriers[nb].dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
        barriers[nb].srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        barriers[nb].dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        barriers[nb].buffer = b.buffer->handle();
        barriers[nb].offset = b.offset;
        barriers[nb].size = b.range;
        ++nb;
    }
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, nb,
                         barriers, 0, nullptr);
    // One slot stays free for the end-of-pass timestamp.
    if (per_op_ && used_queries_ + 1 < max_queries_) {
        vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, queries_, used_queries_++);
        labels_.push_back(label);
    }
}

void CommandRecorder::fill_zero(const Buffer& dst, VkDeviceSize offset, VkDeviceSize bytes) {
    if (bytes == 0 || !error_.empty()) return;
    VkBufferMemoryBarrier b{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.buffer = dst.handle();
    b.offset = offset;
    b.size = bytes;
    // The shader that wrote the range, then the fill, then whatever reads or copies it.
    b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 1, &b,
                         0, nullptr);
    vkCmdFillBuffer(cmd_, dst.handle(), offset, bytes, 0u);
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 1, &b, 0,
                         nullptr);
}

void CommandRecorder::copy(const Buffer& src, VkDeviceSize src_offset, const Buffer& dst, VkDeviceSize dst_offset,
                           VkDeviceSize bytes) {
    if (bytes == 0) return;
    const VkBufferCopy region{src_offset, dst_offset, bytes};
    vkCmdCopyBuffer(cmd_, src.handle(), dst.handle(), 1, &region);
    VkBufferMemoryBarrier b{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.buffer = dst.handle();
    b.offset = dst_offset;
    b.size = bytes;
    // Also orders the copy's reads before later shaders overwrite its source.
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, nullptr, 1, &b, 0,
                         nullptr);
}

Status CommandRecorder::submit_and_wait() {
    if (queries_) vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, used_queries_++);
    KVS_VK(vkEndCommandBuffer(cmd_));
    if (!error_.empty()) return err(error_);
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd_;
    KVS_VK(vkResetFences(ctx_.device(), 1, &fence_));
    ++submissions_;
    KVS_TRY(ctx_.submit_and_wait(si, fence_));
    if (!queries_) return {};

    std::vector<std::uint64_t> stamps(used_queries_);
    KVS_VK(vkGetQueryPoolResults(ctx_.device(), queries_, 0, used_queries_, stamps.size() * 8, stamps.data(), 8,
                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    const auto& lim = ctx_.limits();
    auto ms_between = [&](std::uint64_t a, std::uint64_t b) {
        return double((b - a) & lim.timestamp_mask) * lim.timestamp_period_ns * 1e-6;
    };
    device_ms_ = ms_between(stamps.front(), stamps.back());
    for (std::size_t i = 0; i < labels_.size(); ++i) {
        const double ms = ms_between(stamps[i], stamps[i + 1]);
        auto it = std::find_if(op_times_.begin(), op_times_.end(), [&](const OpTiming& t) {
            return t.layer == labels_[i].layer && t.op == labels_[i].op;
        });
        if (it != op_times_.end())
            it->ms += ms;
        else
            op_times_.push_back({labels_[i].layer, labels_[i].op, ms});
    }
    return {};
}

}  // namespace kvs::vk
