#pragma once
// Buffers and their memory. Each use has an ordered list of memory-property preferences; the
// first type that exists and can be allocated wins (device-local for the model and the
// activations, host-visible for what the CPU writes or reads back).
#include "vk/vk_api.h"

#include <cstdint>
#include <memory>
#include <span>

#include "core/result.h"
#include "vk/vk_context.h"

namespace kvs::vk {

enum class MemoryUse {
    Device,    // weights, KV cache, activations: device-local, else anything
    Upload,    // written by the host every pass (token ids): host-visible, device-local if possible
    Readback,  // read by the host after a pass: host-visible, cached if possible
    Staging,   // transfer source of weight uploads
};

class Buffer {
public:
    Buffer() = default;
    ~Buffer() { reset(); }
    Buffer(Buffer&& o) noexcept { *this = std::move(o); }
    Buffer& operator=(Buffer&& o) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    VkBuffer handle() const { return buffer_; }
    VkDeviceSize size() const { return size_; }
    // Host pointer of host-visible, coherent memory (mapped for the buffer's lifetime), else null.
    void* mapped() const { return mapped_; }
    explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }
    void reset();

    static Result<Buffer> create(const VulkanContext& ctx, VkDeviceSize bytes, MemoryUse use);

private:
    VkDevice device_ = VK_NULL_HANDLE;
    VkBuffer buffer_ = VK_NULL_HANDLE;
    VkDeviceMemory memory_ = VK_NULL_HANDLE;
    VkDeviceSize size_ = 0;
    void* mapped_ = nullptr;
};

// Buffers created so far in this process (tests check that decoding allocates none).
std::uint64_t buffers_created();

// Copies host data into device buffers through a fixed staging buffer (one submission per
// staging-sized piece; used while a backend is created, never per token). Where the device
// memory is host-visible anyway (integrated GPUs, lavapipe) it writes it directly, unless
// direct writes are turned off (the tests do, to exercise the staging path everywhere).
class Uploader {
public:
    static Result<std::unique_ptr<Uploader>> create(const VulkanContext& ctx, VkDeviceSize staging_bytes = 32u << 20);
    ~Uploader();
    Status upload(const Buffer& dst, VkDeviceSize dst_offset, const void* data, VkDeviceSize bytes);
    // Copies device data back (tests and read_kv) through the same staging buffer.
    Status download(const Buffer& src, VkDeviceSize src_offset, void* data, VkDeviceSize bytes);
    // Several ranges of `src`, one after another into `data`, in as few submissions as the
    // staging buffer allows (a sequence's cache rows lie in many blocks).
    struct Region {
        VkDeviceSize offset = 0;
        VkDeviceSize bytes = 0;
    };
    Status download_regions(const Buffer& src, std::span<const Region> regions, void* data);
    void set_direct_writes(bool on) { direct_ = on; }

private:
    explicit Uploader(const VulkanContext& ctx) : ctx_(ctx) {}
    Status copy_and_wait(VkBuffer src, VkDeviceSize src_offset, VkBuffer dst, VkDeviceSize dst_offset, VkDeviceSize bytes);
    Status copy_regions_and_wait(VkBuffer src, VkBuffer dst, std::span<const VkBufferCopy> regions);

    const VulkanContext& ctx_;
    Buffer staging_;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    bool direct_ = true;
};

}  // namespace kvs::vk
