#include "vk/vk_api.h"

#include <dlfcn.h>

#include <mutex>

namespace kvs::vk {

#define KVS_VK_DEFINE_FUNCTION(name) PFN_##name name = nullptr;
KVS_VK_FUNCTIONS(KVS_VK_DEFINE_FUNCTION)
#undef KVS_VK_DEFINE_FUNCTION

namespace {

// The loader's soname on Linux: the versioned name, which runtime packages install without the
// development symlink.
constexpr const char* kLoaderLibrary = "libvulkan.so.1";

std::string load_all() {
    // Never closed: the functions stay valid for the life of the process.
    void* loader = dlopen(kLoaderLibrary, RTLD_NOW | RTLD_LOCAL);
    if (loader == nullptr) {
        const char* why = dlerror();
        return std::string("the Vulkan loader ") + kLoaderLibrary + " cannot be opened (" + (why ? why : "not found") +
               "): install a Vulkan runtime (Debian: libvulkan1 and a driver such as mesa-vulkan-drivers)";
    }
#define KVS_VK_LOAD_FUNCTION(fn)                                                            \
    fn = reinterpret_cast<PFN_##fn>(dlsym(loader, #fn));                                    \
    if (fn == nullptr) return std::string("the Vulkan loader ") + kLoaderLibrary + " lacks " #fn \
                              " (a Vulkan 1.1 loader is needed)";
    KVS_VK_FUNCTIONS(KVS_VK_LOAD_FUNCTION)
#undef KVS_VK_LOAD_FUNCTION
    return {};
}

}  // namespace

bool load_vulkan_functions(std::string& error) {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] { failure = load_all(); });
    error = failure;
    return failure.empty();
}

}  // namespace kvs::vk
