#pragma once
// The Vulkan functions the engine calls, read from the Vulkan loader (libvulkan.so.1) when the
// first Vulkan context is created instead of linked: kvscope starts, and runs on the CPU, on a
// machine without the loader (the Vulkan backend then says so), and a CPU run maps none of the
// loader's pages (docs/PERFORMANCE.md, peak memory). Each function is a pointer with the name the
// Vulkan headers give it, so the code that calls them reads as any Vulkan code; they are the
// loader's own exported entry points, the ones linking would have bound. Extension functions are
// still read through vkGetInstanceProcAddr / vkGetDeviceProcAddr where they are used.
#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <string>

// Every function the engine calls, in alphabetical order.
#define KVS_VK_FUNCTIONS(X) \
    X(vkAllocateCommandBuffers) \
    X(vkAllocateMemory) \
    X(vkBeginCommandBuffer) \
    X(vkBindBufferMemory) \
    X(vkCmdBindPipeline) \
    X(vkCmdCopyBuffer) \
    X(vkCmdDispatch) \
    X(vkCmdFillBuffer) \
    X(vkCmdPipelineBarrier) \
    X(vkCmdPushConstants) \
    X(vkCmdResetQueryPool) \
    X(vkCmdWriteTimestamp) \
    X(vkCreateBuffer) \
    X(vkCreateCommandPool) \
    X(vkCreateComputePipelines) \
    X(vkCreateDescriptorSetLayout) \
    X(vkCreateDevice) \
    X(vkCreateFence) \
    X(vkCreateInstance) \
    X(vkCreatePipelineLayout) \
    X(vkCreateQueryPool) \
    X(vkCreateShaderModule) \
    X(vkDestroyBuffer) \
    X(vkDestroyCommandPool) \
    X(vkDestroyDescriptorSetLayout) \
    X(vkDestroyDevice) \
    X(vkDestroyFence) \
    X(vkDestroyInstance) \
    X(vkDestroyPipeline) \
    X(vkDestroyPipelineLayout) \
    X(vkDestroyQueryPool) \
    X(vkDestroyShaderModule) \
    X(vkDeviceWaitIdle) \
    X(vkEndCommandBuffer) \
    X(vkEnumerateDeviceExtensionProperties) \
    X(vkEnumerateInstanceLayerProperties) \
    X(vkEnumeratePhysicalDevices) \
    X(vkFreeCommandBuffers) \
    X(vkFreeMemory) \
    X(vkGetBufferMemoryRequirements) \
    X(vkGetDeviceProcAddr) \
    X(vkGetDeviceQueue) \
    X(vkGetInstanceProcAddr) \
    X(vkGetPhysicalDeviceMemoryProperties) \
    X(vkGetPhysicalDeviceProperties2) \
    X(vkGetPhysicalDeviceQueueFamilyProperties) \
    X(vkGetQueryPoolResults) \
    X(vkMapMemory) \
    X(vkQueueSubmit) \
    X(vkResetCommandBuffer) \
    X(vkResetFences) \
    X(vkUnmapMemory) \
    X(vkWaitForFences)

namespace kvs::vk {

// In this namespace, not the global one: the names cannot collide with the loader's own symbols
// in a process that also links the loader.
#define KVS_VK_DECLARE_FUNCTION(name) extern PFN_##name name;
KVS_VK_FUNCTIONS(KVS_VK_DECLARE_FUNCTION)
#undef KVS_VK_DECLARE_FUNCTION

// Opens the loader and reads every function above, once per process (later calls return the
// first outcome). On failure `error` says which library or function is missing.
bool load_vulkan_functions(std::string& error);

}  // namespace kvs::vk
