#include "vk/vk_buffer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <span>
#include <vector>

namespace kvs::vk {

namespace {

std::atomic<std::uint64_t> g_buffers_created{0};

std::span<const VkMemoryPropertyFlags> preferences(MemoryUse use) {
    static constexpr VkMemoryPropertyFlags kDevice[] = {VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0};
    static constexpr VkMemoryPropertyFlags kUpload[] = {
        VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT};
    static constexpr VkMemoryPropertyFlags kReadback[] = {
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT};
    static constexpr VkMemoryPropertyFlags kStaging[] = {VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT};
    switch (use) {
        case MemoryUse::Device: return kDevice;
        case MemoryUse::Upload: return kUpload;
        case MemoryUse::Readback: return kReadback;
        case MemoryUse::Staging: return kStaging;
    }
    return {};
}

const char* use_name(MemoryUse use) {
    switch (use) {
        case MemoryUse::Device: return "device";
        case MemoryUse::Upload: return "upload";
        case MemoryUse::Readback: return "readback";
        case MemoryUse::Staging: return "staging";
    }
    return "?";
}

}  // namespace

std::uint64_t buffers_created() { return g_buffers_created.load(); }

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this != &o) {
        reset();
        std::swap(device_, o.device_);
        std::swap(buffer_, o.buffer_);
        std::swap(memory_, o.memory_);
        std::swap(size_, o.size_);
        std::swap(mapped_, o.mapped_);
    }
    return *this;
}

void Buffer::reset() {
    if (device_ == VK_NULL_HANDLE) return;
    if (mapped_) vkUnmapMemory(device_, memory_);
    if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_) vkFreeMemory(device_, memory_, nullptr);
    device_ = VK_NULL_HANDLE;
    buffer_ = VK_NULL_HANDLE;
    memory_ = VK_NULL_HANDLE;
    size_ = 0;
    mapped_ = nullptr;
}

Result<Buffer> Buffer::create(const VulkanContext& ctx, VkDeviceSize bytes, MemoryUse use) {
    ++g_buffers_created;
    Buffer b;
    b.device_ = ctx.device();
    b.size_ = std::max<VkDeviceSize>(bytes, 16);
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = b.size_;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    KVS_VK(vkCreateBuffer(ctx.device(), &bci, nullptr, &b.buffer_));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx.device(), b.buffer_, &req);
    const auto& mem = ctx.memory_properties();
    VkResult last = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    for (VkMemoryPropertyFlags wanted : preferences(use)) {
        for (std::uint32_t t = 0; t < mem.memoryTypeCount && !b.memory_; ++t) {
            if (!(req.memoryTypeBits & (1u << t))) continue;
            if ((mem.memoryTypes[t].propertyFlags & wanted) != wanted) continue;
            VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
            mai.allocationSize = req.size;
            mai.memoryTypeIndex = t;
            last = vkAllocateMemory(ctx.device(), &mai, nullptr, &b.memory_);
            if (last != VK_SUCCESS) {
                b.memory_ = VK_NULL_HANDLE;
                continue;  // heap full: try the next preference
            }
            KVS_VK(vkBindBufferMemory(ctx.device(), b.buffer_, b.memory_, 0));
            // Only coherent memory is mapped: host writes to it need no flush before a submission.
            constexpr VkMemoryPropertyFlags kCoherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            if ((mem.memoryTypes[t].propertyFlags & kCoherent) == kCoherent)
                KVS_VK(vkMapMemory(ctx.device(), b.memory_, 0, VK_WHOLE_SIZE, 0, &b.mapped_));
        }
        if (b.memory_) break;
    }
    if (!b.memory_)
        return err("Vulkan: cannot allocate ", bytes, " bytes of ", use_name(use), " memory on ", ctx.device_name(), ": ",
                   to_string(last));
    if (use != MemoryUse::Device && !b.mapped_) return err("Vulkan: ", use_name(use), " memory is not host-visible");
    return b;
}

Result<std::unique_ptr<Uploader>> Uploader::create(const VulkanContext& ctx, VkDeviceSize staging_bytes) {
    std::unique_ptr<Uploader> u(new Uploader(ctx));
    KVS_ASSIGN(u->staging_, Buffer::create(ctx, staging_bytes, MemoryUse::Staging));
    KVS_TRY(ctx.allocate_submission(u->cmd_, u->fence_));
    return u;
}

Uploader::~Uploader() {
    if (fence_) vkDestroyFence(ctx_.device(), fence_, nullptr);
    if (cmd_) vkFreeCommandBuffers(ctx_.device(), ctx_.command_pool(), 1, &cmd_);
}

Status Uploader::copy_and_wait(VkBuffer src, VkDeviceSize src_offset, VkBuffer dst, VkDeviceSize dst_offset,
                               VkDeviceSize bytes) {
    const VkBufferCopy region{src_offset, dst_offset, bytes};
    return copy_regions_and_wait(src, dst, std::span<const VkBufferCopy>(&region, 1));
}

Status Uploader::copy_regions_and_wait(VkBuffer src, VkBuffer dst, std::span<const VkBufferCopy> regions) {
    KVS_VK(vkResetCommandBuffer(cmd_, 0));
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    KVS_VK(vkBeginCommandBuffer(cmd_, &bi));
    vkCmdCopyBuffer(cmd_, src, dst, std::uint32_t(regions.size()), regions.data());
    // The copy must be complete and visible to later shaders and host reads.
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0,
                         nullptr);
    KVS_VK(vkEndCommandBuffer(cmd_));
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd_;
    KVS_VK(vkResetFences(ctx_.device(), 1, &fence_));
    return ctx_.submit_and_wait(si, fence_);
}

Status Uploader::upload(const Buffer& dst, VkDeviceSize dst_offset, const void* data, VkDeviceSize bytes) {
    const auto* src = static_cast<const unsigned char*>(data);
    if (direct_ && dst.mapped()) {  // host-coherent: visible to the next submission
        std::memcpy(static_cast<unsigned char*>(dst.mapped()) + dst_offset, src, bytes);
        return {};
    }
    for (VkDeviceSize done = 0; done < bytes;) {
        const VkDeviceSize piece = std::min(staging_.size(), bytes - done);
        std::memcpy(staging_.mapped(), src + done, piece);
        KVS_TRY(copy_and_wait(staging_.handle(), 0, dst.handle(), dst_offset + done, piece));
        done += piece;
    }
    return {};
}

Status Uploader::download(const Buffer& src, VkDeviceSize src_offset, void* data, VkDeviceSize bytes) {
    auto* out = static_cast<unsigned char*>(data);
    for (VkDeviceSize done = 0; done < bytes;) {
        const VkDeviceSize piece = std::min(staging_.size(), bytes - done);
        KVS_TRY(copy_and_wait(src.handle(), src_offset + done, staging_.handle(), 0, piece));
        std::memcpy(out + done, staging_.mapped(), piece);
        done += piece;
    }
    return {};
}

Status Uploader::download_regions(const Buffer& src, std::span<const Region> regions, void* data) {
    auto* out = static_cast<unsigned char*>(data);
    std::vector<VkBufferCopy> batch;
    VkDeviceSize staged = 0;
    auto flush = [&]() -> Status {
        if (batch.empty()) return {};
        KVS_TRY(copy_regions_and_wait(src.handle(), staging_.handle(), batch));
        std::memcpy(out, staging_.mapped(), staged);
        out += staged;
        batch.clear();
        staged = 0;
        return {};
    };
    for (const Region& r : regions) {
        if (r.bytes > staging_.size()) {  // larger than the staging buffer: on its own, in pieces
            KVS_TRY(flush());
            KVS_TRY(download(src, r.offset, out, r.bytes));
            out += r.bytes;
            continue;
        }
        if (staged + r.bytes > staging_.size()) KVS_TRY(flush());
        batch.push_back({r.offset, staged, r.bytes});
        staged += r.bytes;
    }
    return flush();
}

}  // namespace kvs::vk
