// create_backend: the one place that knows every backend.
#include "core/backend.h"
#include "cpu/cpu_backend.h"

// No __has_include here: compiler caches cannot see a header appear, and engine/vk exists
// whenever the build has Vulkan.
#ifdef KVSCOPE_HAVE_VULKAN
#include "vk/vulkan_backend.h"
#define KVSCOPE_VULKAN_BACKEND 1
#endif

namespace kvs {

Result<std::unique_ptr<Backend>> create_backend(const std::string& name, std::shared_ptr<const Model> model,
                                                const BackendOptions& options, std::string* fallback_reason) {
    if (!model) return err("create_backend: no model loaded");
    KVS_TRY(check_pool_options(options));
    if (name == "cpu") return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(std::move(model), options));
    if (name == "vulkan") {
        std::string reason;
#ifdef KVSCOPE_VULKAN_BACKEND
        auto vk = create_vulkan_backend(model, options);
        if (vk.ok()) return std::move(vk).value();
        reason = vk.message();
#else
        reason = "this build of kvscope has no Vulkan backend";
#endif
        if (fallback_reason) *fallback_reason = "Vulkan unavailable, running on the CPU: " + reason;
        return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(std::move(model), options));
    }
    return err("unknown backend '", name, "' (expected cpu or vulkan)");
}

}  // namespace kvs
