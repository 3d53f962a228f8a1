#pragma once
// The Vulkan instance, the chosen physical device, its logical device and compute queue, and
// the device limits every other part of engine/vk respects.
#include "vk/vk_api.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace kvs::vk {

struct DeviceLimits {
    VkDeviceSize max_storage_range = 0;      // largest storage-buffer binding (lavapipe: 128 MiB)
    VkDeviceSize storage_offset_align = 1;   // binding offsets must be multiples of this
    std::uint32_t max_group_count[3] = {};   // maxComputeWorkGroupCount
    std::uint32_t subgroup_size = 0;
    bool timestamps = false;                 // the compute queue can write timestamps
    double timestamp_period_ns = 0.0;
    std::uint64_t timestamp_mask = 0;        // timestampValidBits as a mask
    bool cpu = false;                        // a CPU implementation (lavapipe): see record_linear
};

struct ContextOptions {
    std::string device;       // index or name substring; "" = KVSCOPE_VK_DEVICE, then the best
    bool validation = false;  // also on when KVSCOPE_VK_VALIDATION=1
};

class VulkanContext {
public:
    static Result<std::unique_ptr<VulkanContext>> create(const ContextOptions& options);
    ~VulkanContext();
    VulkanContext(const VulkanContext&) = delete;
    VulkanContext& operator=(const VulkanContext&) = delete;

    VkDevice device() const { return device_; }
    VkPhysicalDevice physical_device() const { return physical_; }
    VkQueue queue() const { return queue_; }
    std::uint32_t queue_family() const { return queue_family_; }
    VkCommandPool command_pool() const { return pool_; }
    const DeviceLimits& limits() const { return limits_; }
    const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_; }
    const std::string& device_name() const { return device_name_; }
    bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }
    PFN_vkCmdPushDescriptorSetKHR push_descriptor_set() const { return push_descriptor_set_; }

    // What every submitter needs: a primary command buffer from the pool and an unsignalled
    // fence to wait on. The caller frees them.
    Status allocate_submission(VkCommandBuffer& cmd, VkFence& fence) const;
    // Submits one batch and waits for its (reset) fence: the one way work reaches the device,
    // so that a lost device (VK_ERROR_DEVICE_LOST) is noticed in one place and remembered.
    Status submit_and_wait(const VkSubmitInfo& submit, VkFence fence) const;
    // True once any submission or wait reported VK_ERROR_DEVICE_LOST: nothing will run on this
    // device again; a new context (a new backend) is needed.
    bool device_lost() const { return lost_.load(); }

private:
    VulkanContext() = default;

    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    std::uint32_t queue_family_ = 0;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    DeviceLimits limits_;
    VkPhysicalDeviceMemoryProperties memory_{};
    std::string device_name_;
    PFN_vkCmdPushDescriptorSetKHR push_descriptor_set_ = nullptr;
    mutable std::atomic<bool> lost_{false};
};

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
const char* to_string(VkResult r);

// Warnings and errors the validation layer reported so far in this process (tests fail on any).
int validation_message_count();
std::string last_validation_message();

}  // namespace kvs::vk

// Returns an error naming the call when a Vulkan call fails.
#define KVS_VK(call)                                                                                  \
    do {                                                                                              \
        const VkResult kvs_vk_result_ = (call);                                                       \
        if (kvs_vk_result_ != VK_SUCCESS)                                                             \
            return ::kvs::err(#call, " failed: ", ::kvs::vk::to_string(kvs_vk_result_));             \
    } while (0)
