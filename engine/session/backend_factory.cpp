// create_backend: the one place that knows every backend.
#include "core/backend.h"
#include "core/memory_budget.h"
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
    if (name != "cpu" && name != "vulkan") return err("unknown backend '", name, "' (expected cpu or vulkan)");
    KVS_TRY(check_pool_options(options));
    // The CPU backend (the one every request can end on) keeps the cache on the host, in the
    // requested type.
    const KvLayout host = cache_layout(model->config, options, options.kv_dtype);
    const Status host_fits = check_fits_in_memory(
        host.bytes_allocated(),
        "the KV cache of " + std::to_string(host.capacity) +
            (options.kv_dtype == KvDtype::F16 ? " positions (F16)" : " positions (F32)"),
        "ask for fewer positions (--ctx N)");
    if (name == "cpu") {
        KVS_TRY(host_fits);
        return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(std::move(model), options));
    }
    if (name == "vulkan") {
        std::string reason;
#ifdef KVSCOPE_VULKAN_BACKEND
        auto vk = create_vulkan_backend(model, options);
        if (vk.ok()) return std::move(vk).value();
        reason = vk.message();
#else
        reason = "this build of kvscope has no Vulkan backend";
#endif
        if (!host_fits.ok()) return err("Vulkan unavailable (", reason, ") and ", host_fits.message());
        if (fallback_reason) *fallback_reason = "Vulkan unavailable, running on the CPU: " + reason;
        return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(std::move(model), options));
    }
    return err("unknown backend '", name, "'");  // not reached: checked above
}

}  // namespace kvs
