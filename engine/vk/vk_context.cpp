#include "vk/vk_context.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "vk/device_selection.h"

namespace kvs::vk {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::atomic<int> g_validation_messages{0};
std::mutex g_last_message_mutex;
std::string g_last_message;

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
    if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return VK_FALSE;
    const char* text = data && data->pMessage ? data->pMessage : "(no message)";
    // The loader's warnings (a layer enabled through VK_INSTANCE_LAYERS, as the tests' fault
    // layer is) say how the instance was set up, not that kvscope misused Vulkan.
    if (severity == VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT && data && data->pMessageIdName &&
        std::strcmp(data->pMessageIdName, "Loader Message") == 0) {
        std::fprintf(stderr, "kvscope vulkan loader: %s\n", text);
        return VK_FALSE;
    }
    ++g_validation_messages;
    std::fprintf(stderr, "kvscope vulkan validation: %s\n", text);
    std::lock_guard lock(g_last_message_mutex);
    g_last_message = text;
    return VK_FALSE;
}

VkDebugUtilsMessengerCreateInfoEXT messenger_info() {
    VkDebugUtilsMessengerCreateInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
    info.pfnUserCallback = on_validation_message;
    return info;
}

bool has_layer(const char* name) {
    std::uint32_t count = 0;
    if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& l : layers)
        if (std::strcmp(l.layerName, name) == 0) return true;
    return false;
}

bool has_device_extension(VkPhysicalDevice pd, const char* name) {
    std::uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> exts(count);
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, exts.data());
    for (const auto& e : exts)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

DeviceKind kind_of(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return DeviceKind::Discrete;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return DeviceKind::Integrated;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return DeviceKind::Virtual;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return DeviceKind::Cpu;
        default: return DeviceKind::Other;
    }
}

// A compute queue family, preferring one that can write timestamps; -1 when there is none.
int compute_family(VkPhysicalDevice pd) {
    std::uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, nullptr);
    std::vector<VkQueueFamilyProperties> families(count);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, families.data());
    int best = -1;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        if (best < 0 || (families[i].timestampValidBits > 0 && families[std::size_t(best)].timestampValidBits == 0))
            best = int(i);
    }
    return best;
}

DeviceCandidate describe(VkPhysicalDevice pd) {
    VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &subgroup;
    vkGetPhysicalDeviceProperties2(pd, &props);
    DeviceCandidate c;
    c.name = props.properties.deviceName;
    c.kind = kind_of(props.properties.deviceType);
    auto unusable = [&](const char* why) {
        c.usable = false;
        c.unusable_why = why;
        return c;
    };
    if (props.properties.apiVersion < VK_API_VERSION_1_1) return unusable("needs Vulkan 1.1");
    if (compute_family(pd) < 0) return unusable("no compute queue");
    if (!has_device_extension(pd, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME)) return unusable("no VK_KHR_push_descriptor");
    if (!(subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
        !(subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT))
        return unusable("no subgroup arithmetic in compute shaders");
    if (props.properties.limits.maxComputeWorkGroupInvocations < 256) return unusable("workgroups under 256 invocations");
    return c;
}

}  // namespace

int validation_message_count() { return g_validation_messages.load(); }
std::string last_validation_message() {
    std::lock_guard lock(g_last_message_mutex);
    return g_last_message;
}

const char* to_string(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_INCOMPLETE: return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER (no Vulkan driver found)";
        case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
        default: return "VkResult error";
    }
}

Result<std::unique_ptr<VulkanContext>> VulkanContext::create(const ContextOptions& options) {
    if (std::string why; !load_vulkan_functions(why)) return err(why);
    std::unique_ptr<VulkanContext> ctx(new VulkanContext());
    const char* env_validation = std::getenv("KVSCOPE_VK_VALIDATION");
    const bool validation = options.validation || (env_validation && std::strcmp(env_validation, "1") == 0);

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "kvscope";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pApplicationInfo = &app;
    std::vector<const char*> layers, extensions;
    VkDebugUtilsMessengerCreateInfoEXT dbg = messenger_info();
    if (validation) {
        if (!has_layer(kValidationLayer))
            return err("Vulkan validation requested but ", kValidationLayer, " is not installed");
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        ici.pNext = &dbg;  // also reports problems of instance creation itself
    }
    // Synchronization validation checks the barriers between dispatches and copies as well.
    const VkValidationFeatureEnableEXT sync_validation = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = &sync_validation;
    if (validation) {
        features.pNext = ici.pNext;
        ici.pNext = &features;
    }
    ici.enabledLayerCount = std::uint32_t(layers.size());
    ici.ppEnabledLayerNames = layers.data();
    ici.enabledExtensionCount = std::uint32_t(extensions.size());
    ici.ppEnabledExtensionNames = extensions.data();
    if (const VkResult r = vkCreateInstance(&ici, nullptr, &ctx->instance_); r != VK_SUCCESS)
        return err("cannot create a Vulkan instance: ", to_string(r));
    if (validation) {
        auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(ctx->instance_, "vkCreateDebugUtilsMessengerEXT"));
        if (!create_messenger) return err("Vulkan validation: vkCreateDebugUtilsMessengerEXT is missing");
        KVS_VK(create_messenger(ctx->instance_, &dbg, nullptr, &ctx->messenger_));
    }

    std::uint32_t count = 0;
    KVS_VK(vkEnumeratePhysicalDevices(ctx->instance_, &count, nullptr));
    std::vector<VkPhysicalDevice> devices(count);
    KVS_VK(vkEnumeratePhysicalDevices(ctx->instance_, &count, devices.data()));
    std::vector<DeviceCandidate> candidates;
    for (VkPhysicalDevice pd : devices) candidates.push_back(describe(pd));
    std::string request = options.device;
    if (request.empty())
        if (const char* env = std::getenv("KVSCOPE_VK_DEVICE")) request = env;
    KVS_ASSIGN(const int chosen, select_device(candidates, request));
    ctx->physical_ = devices[std::size_t(chosen)];
    ctx->device_name_ = candidates[std::size_t(chosen)].name;
    ctx->limits_.cpu = candidates[std::size_t(chosen)].kind == DeviceKind::Cpu;

    VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &subgroup;
    vkGetPhysicalDeviceProperties2(ctx->physical_, &props);
    const VkPhysicalDeviceLimits& l = props.properties.limits;
    ctx->queue_family_ = std::uint32_t(compute_family(ctx->physical_));
    std::uint32_t nf = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical_, &nf, nullptr);
    std::vector<VkQueueFamilyProperties> families(nf);
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical_, &nf, families.data());
    const std::uint32_t valid_bits = families[ctx->queue_family_].timestampValidBits;

    DeviceLimits& lim = ctx->limits_;
    lim.max_storage_range = l.maxStorageBufferRange;
    lim.storage_offset_align = std::max<VkDeviceSize>(1, l.minStorageBufferOffsetAlignment);
    for (int i = 0; i < 3; ++i) lim.max_group_count[i] = l.maxComputeWorkGroupCount[i];
    lim.subgroup_size = subgroup.subgroupSize;
    lim.timestamps = valid_bits > 0 && l.timestampPeriod > 0.0f;
    lim.timestamp_period_ns = l.timestampPeriod;
    lim.timestamp_mask = valid_bits >= 64 ? ~std::uint64_t(0) : ((std::uint64_t(1) << valid_bits) - 1);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical_, &ctx->memory_);

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = ctx->queue_family_;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    const char* device_extensions[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME};
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    dci.enabledExtensionCount = 1;
    dci.ppEnabledExtensionNames = device_extensions;
    KVS_VK(vkCreateDevice(ctx->physical_, &dci, nullptr, &ctx->device_));
    vkGetDeviceQueue(ctx->device_, ctx->queue_family_, 0, &ctx->queue_);
    ctx->push_descriptor_set_ =
        reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(vkGetDeviceProcAddr(ctx->device_, "vkCmdPushDescriptorSetKHR"));
    if (!ctx->push_descriptor_set_) return err("Vulkan device ", ctx->device_name_, ": vkCmdPushDescriptorSetKHR missing");

    VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = ctx->queue_family_;
    KVS_VK(vkCreateCommandPool(ctx->device_, &pci, nullptr, &ctx->pool_));
    return ctx;
}

VulkanContext::~VulkanContext() {
    if (device_) {
        vkDeviceWaitIdle(device_);
        if (pool_) vkDestroyCommandPool(device_, pool_, nullptr);
        vkDestroyDevice(device_, nullptr);
    }
    if (messenger_) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy) destroy(instance_, messenger_, nullptr);
    }
    if (instance_) vkDestroyInstance(instance_, nullptr);
}

Status VulkanContext::submit_and_wait(const VkSubmitInfo& submit, VkFence fence) const {
    VkResult r = vkQueueSubmit(queue_, 1, &submit, fence);
    const char* call = "vkQueueSubmit";
    if (r == VK_SUCCESS) {
        r = vkWaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX);
        call = "vkWaitForFences";
    }
    if (r == VK_ERROR_DEVICE_LOST) lost_.store(true);
    if (r != VK_SUCCESS) return err(call, " failed: ", to_string(r));
    return {};
}

Status VulkanContext::allocate_submission(VkCommandBuffer& cmd, VkFence& fence) const {
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    KVS_VK(vkAllocateCommandBuffers(device_, &ai, &cmd));
    VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    KVS_VK(vkCreateFence(device_, &fci, nullptr, &fence));
    return {};
}

}  // namespace kvs::vk
