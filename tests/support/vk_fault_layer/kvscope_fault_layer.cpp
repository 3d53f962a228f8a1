// VK_LAYER_KVSCOPE_fault_injection: a Vulkan layer for tests that makes a working driver
// (lavapipe) fail the way a real GPU can, so that kvscope's handling of it can be checked:
//   KVSCOPE_FAULT_DEVICE_MEMORY=BYTES   every memory heap reports at most BYTES, and
//                                       vkAllocateMemory fails with VK_ERROR_OUT_OF_DEVICE_MEMORY
//                                       once a device's allocations would exceed it;
//   KVSCOPE_FAULT_FAIL_ALLOCATION=N     a device's N-th vkAllocateMemory (1-based) and every later
//                                       one fail with VK_ERROR_OUT_OF_DEVICE_MEMORY;
//   KVSCOPE_FAULT_LOSE_DEVICE_AFTER=N   the device loses itself at its N-th vkQueueSubmit: that
//                                       call and every later submit or wait on it return
//                                       VK_ERROR_DEVICE_LOST.
// The last two apply to devices created while the variable is set (a test unsets it to create a
// working device again, as after a driver reset); the first is read at every call.
// A failing call returns before reaching the layers and driver below, so their state stays
// consistent (nothing half-submitted). Enabled through VK_INSTANCE_LAYERS with VK_LAYER_PATH
// pointing at the manifest CMake writes next to this library.
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {

std::uint64_t env_number(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::strtoull(v, nullptr, 10) : 0;
}

struct InstanceData {
    VkInstance instance = VK_NULL_HANDLE;
    PFN_vkGetInstanceProcAddr next_gipa = nullptr;
    PFN_vkDestroyInstance destroy = nullptr;
    PFN_vkCreateDevice create_device = nullptr;
    PFN_vkGetPhysicalDeviceMemoryProperties memory_properties = nullptr;
    PFN_vkGetPhysicalDeviceMemoryProperties2 memory_properties2 = nullptr;
};

struct DeviceData {
    VkDevice device = VK_NULL_HANDLE;
    PFN_vkGetDeviceProcAddr next_gdpa = nullptr;
    PFN_vkDestroyDevice destroy = nullptr;
    PFN_vkAllocateMemory allocate = nullptr;
    PFN_vkFreeMemory free = nullptr;
    PFN_vkQueueSubmit submit = nullptr;
    PFN_vkWaitForFences wait_fences = nullptr;
    PFN_vkQueueWaitIdle queue_wait_idle = nullptr;
    PFN_vkDeviceWaitIdle device_wait_idle = nullptr;
    std::uint64_t allocated = 0;
    std::unordered_map<VkDeviceMemory, VkDeviceSize> sizes;
    std::uint64_t allocations = 0;
    std::uint64_t fail_allocation = 0;  // KVSCOPE_FAULT_FAIL_ALLOCATION when the device was created
    std::uint64_t submits = 0;
    std::uint64_t lose_at = 0;          // KVSCOPE_FAULT_LOSE_DEVICE_AFTER when the device was created
    bool lost = false;
};

std::mutex g_mutex;
std::unordered_map<void*, InstanceData> g_instances;  // by dispatch key
std::unordered_map<void*, DeviceData> g_devices;      // by dispatch key (queues share their device's)

// Loader dispatchable handles start with a pointer to the loader's dispatch table: one key per
// instance (and its physical devices) and per device (and its queues).
template <typename T>
void* key(T handle) {
    return *reinterpret_cast<void**>(handle);
}

InstanceData& instance_of(void* k) {
    std::lock_guard lock(g_mutex);
    return g_instances.at(k);
}
DeviceData& device_of(void* k) {
    std::lock_guard lock(g_mutex);
    return g_devices.at(k);
}

VkDeviceSize heap_limit() { return VkDeviceSize(env_number("KVSCOPE_FAULT_DEVICE_MEMORY")); }

void clamp_heaps(VkPhysicalDeviceMemoryProperties& p) {
    const VkDeviceSize limit = heap_limit();
    if (limit == 0) return;
    for (std::uint32_t i = 0; i < p.memoryHeapCount; ++i)
        if (p.memoryHeaps[i].size > limit) p.memoryHeaps[i].size = limit;
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceMemoryProperties(VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties* p) {
    instance_of(key(pd)).memory_properties(pd, p);
    clamp_heaps(*p);
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceMemoryProperties2(VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties2* p) {
    instance_of(key(pd)).memory_properties2(pd, p);
    clamp_heaps(p->memoryProperties);
}

VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice device, const VkMemoryAllocateInfo* info,
                                              const VkAllocationCallbacks* alloc, VkDeviceMemory* memory) {
    DeviceData& d = device_of(key(device));
    const VkDeviceSize limit = heap_limit();
    {
        std::lock_guard lock(g_mutex);
        if (d.fail_allocation != 0 && ++d.allocations >= d.fail_allocation) return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        if (limit != 0 && d.allocated + info->allocationSize > limit) return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    const VkResult r = d.allocate(device, info, alloc, memory);
    if (r == VK_SUCCESS) {
        std::lock_guard lock(g_mutex);
        d.allocated += info->allocationSize;
        d.sizes[*memory] = info->allocationSize;
    }
    return r;
}

VKAPI_ATTR void VKAPI_CALL FreeMemory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks* alloc) {
    DeviceData& d = device_of(key(device));
    {
        std::lock_guard lock(g_mutex);
        const auto it = d.sizes.find(memory);
        if (it != d.sizes.end()) {
            d.allocated -= it->second;
            d.sizes.erase(it);
        }
    }
    d.free(device, memory, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue queue, std::uint32_t count, const VkSubmitInfo* submits,
                                           VkFence fence) {
    DeviceData& d = device_of(key(queue));
    {
        std::lock_guard lock(g_mutex);
        if (++d.submits == d.lose_at) d.lost = true;
        if (d.lost) return VK_ERROR_DEVICE_LOST;
    }
    return d.submit(queue, count, submits, fence);
}

bool is_lost(void* k) {
    std::lock_guard lock(g_mutex);
    return g_devices.at(k).lost;
}

VKAPI_ATTR VkResult VKAPI_CALL WaitForFences(VkDevice device, std::uint32_t count, const VkFence* fences,
                                             VkBool32 all, std::uint64_t timeout) {
    if (is_lost(key(device))) return VK_ERROR_DEVICE_LOST;
    return device_of(key(device)).wait_fences(device, count, fences, all, timeout);
}

VKAPI_ATTR VkResult VKAPI_CALL QueueWaitIdle(VkQueue queue) {
    if (is_lost(key(queue))) return VK_ERROR_DEVICE_LOST;
    return device_of(key(queue)).queue_wait_idle(queue);
}

VKAPI_ATTR VkResult VKAPI_CALL DeviceWaitIdle(VkDevice device) {
    if (is_lost(key(device))) return VK_ERROR_DEVICE_LOST;
    return device_of(key(device)).device_wait_idle(device);
}

VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device, const VkAllocationCallbacks* alloc) {
    const PFN_vkDestroyDevice destroy = device_of(key(device)).destroy;
    {
        std::lock_guard lock(g_mutex);
        g_devices.erase(key(device));
    }
    destroy(device, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo* info,
                                            const VkAllocationCallbacks* alloc, VkDevice* device) {
    auto* link = static_cast<VkLayerDeviceCreateInfo*>(const_cast<void*>(info->pNext));
    while (link && !(link->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO && link->function == VK_LAYER_LINK_INFO))
        link = static_cast<VkLayerDeviceCreateInfo*>(const_cast<void*>(link->pNext));
    if (!link) return VK_ERROR_INITIALIZATION_FAILED;
    const PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    const PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;
    const InstanceData& inst = instance_of(key(pd));
    auto create = reinterpret_cast<PFN_vkCreateDevice>(gipa(inst.instance, "vkCreateDevice"));
    const VkResult r = create(pd, info, alloc, device);
    if (r != VK_SUCCESS) return r;
    DeviceData d;
    d.device = *device;
    d.next_gdpa = gdpa;
    auto get = [&](const char* name) { return gdpa(*device, name); };
    d.destroy = reinterpret_cast<PFN_vkDestroyDevice>(get("vkDestroyDevice"));
    d.allocate = reinterpret_cast<PFN_vkAllocateMemory>(get("vkAllocateMemory"));
    d.free = reinterpret_cast<PFN_vkFreeMemory>(get("vkFreeMemory"));
    d.submit = reinterpret_cast<PFN_vkQueueSubmit>(get("vkQueueSubmit"));
    d.wait_fences = reinterpret_cast<PFN_vkWaitForFences>(get("vkWaitForFences"));
    d.queue_wait_idle = reinterpret_cast<PFN_vkQueueWaitIdle>(get("vkQueueWaitIdle"));
    d.device_wait_idle = reinterpret_cast<PFN_vkDeviceWaitIdle>(get("vkDeviceWaitIdle"));
    d.fail_allocation = env_number("KVSCOPE_FAULT_FAIL_ALLOCATION");
    d.lose_at = env_number("KVSCOPE_FAULT_LOSE_DEVICE_AFTER");
    std::lock_guard lock(g_mutex);
    g_devices[key(*device)] = std::move(d);
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance, const VkAllocationCallbacks* alloc) {
    const PFN_vkDestroyInstance destroy = instance_of(key(instance)).destroy;
    {
        std::lock_guard lock(g_mutex);
        g_instances.erase(key(instance));
    }
    destroy(instance, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo* info, const VkAllocationCallbacks* alloc,
                                              VkInstance* instance) {
    auto* link = static_cast<VkLayerInstanceCreateInfo*>(const_cast<void*>(info->pNext));
    while (link && !(link->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO && link->function == VK_LAYER_LINK_INFO))
        link = static_cast<VkLayerInstanceCreateInfo*>(const_cast<void*>(link->pNext));
    if (!link) return VK_ERROR_INITIALIZATION_FAILED;
    const PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;
    auto create = reinterpret_cast<PFN_vkCreateInstance>(gipa(VK_NULL_HANDLE, "vkCreateInstance"));
    const VkResult r = create(info, alloc, instance);
    if (r != VK_SUCCESS) return r;
    InstanceData d;
    d.instance = *instance;
    d.next_gipa = gipa;
    d.destroy = reinterpret_cast<PFN_vkDestroyInstance>(gipa(*instance, "vkDestroyInstance"));
    d.create_device = reinterpret_cast<PFN_vkCreateDevice>(gipa(*instance, "vkCreateDevice"));
    d.memory_properties =
        reinterpret_cast<PFN_vkGetPhysicalDeviceMemoryProperties>(gipa(*instance, "vkGetPhysicalDeviceMemoryProperties"));
    d.memory_properties2 =
        reinterpret_cast<PFN_vkGetPhysicalDeviceMemoryProperties2>(gipa(*instance, "vkGetPhysicalDeviceMemoryProperties2"));
    std::lock_guard lock(g_mutex);
    g_instances[key(*instance)] = d;
    return VK_SUCCESS;
}

PFN_vkVoidFunction intercepted_device(const char* name) {
#define KVS_HOOK(fn) \
    if (std::strcmp(name, "vk" #fn) == 0) return reinterpret_cast<PFN_vkVoidFunction>(&fn);
    KVS_HOOK(DestroyDevice)
    KVS_HOOK(AllocateMemory)
    KVS_HOOK(FreeMemory)
    KVS_HOOK(QueueSubmit)
    KVS_HOOK(WaitForFences)
    KVS_HOOK(QueueWaitIdle)
    KVS_HOOK(DeviceWaitIdle)
    return nullptr;
}

PFN_vkVoidFunction intercepted_instance(const char* name) {
    KVS_HOOK(CreateInstance)
    KVS_HOOK(DestroyInstance)
    KVS_HOOK(CreateDevice)
    KVS_HOOK(GetPhysicalDeviceMemoryProperties)
    KVS_HOOK(GetPhysicalDeviceMemoryProperties2)
#undef KVS_HOOK
    return intercepted_device(name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char* name) {
    if (PFN_vkVoidFunction f = intercepted_device(name)) return f;
    return device_of(key(device)).next_gdpa(device, name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance, const char* name) {
    if (PFN_vkVoidFunction f = intercepted_instance(name)) return f;
    if (instance == VK_NULL_HANDLE) return nullptr;
    return instance_of(key(instance)).next_gipa(instance, name);
}

}  // namespace

extern "C" VKAPI_ATTR VkResult VKAPI_CALL vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* v) {
    if (v->loaderLayerInterfaceVersion < 2) return VK_ERROR_INITIALIZATION_FAILED;
    v->loaderLayerInterfaceVersion = 2;
    v->pfnGetInstanceProcAddr = &GetInstanceProcAddr;
    v->pfnGetDeviceProcAddr = &GetDeviceProcAddr;
    v->pfnGetPhysicalDeviceProcAddr = nullptr;
    return VK_SUCCESS;
}
