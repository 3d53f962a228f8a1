#pragma once
// Compute pipelines built from the embedded SPIR-V: one per shader variant, each with a
// push-descriptor set layout of N storage buffers and the variant's push-constant range.
#include "vk/vk_api.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "vk/vk_context.h"

namespace kvs::vk {

struct Pipeline {
    std::string name;
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    std::uint32_t bindings = 0;
    std::uint32_t push_bytes = 0;
};

class PipelineLibrary {
public:
    explicit PipelineLibrary(const VulkanContext& ctx) : ctx_(ctx) {}
    ~PipelineLibrary();
    PipelineLibrary(const PipelineLibrary&) = delete;
    PipelineLibrary& operator=(const PipelineLibrary&) = delete;

    // Builds the named variants (shader_params.h lists their shapes); building is done once.
    Status prepare(std::span<const std::string_view> names);
    Status prepare(std::string_view name);
    // A prepared pipeline; null when `name` was never prepared.
    const Pipeline* find(std::string_view name) const;

private:
    const VulkanContext& ctx_;
    std::map<std::string, Pipeline, std::less<>> pipelines_;
};

}  // namespace kvs::vk
