#include "vk/vk_pipelines.h"

#include <vector>

#include "vk/shader_params.h"
#include "vk/shader_registry.h"

namespace kvs::vk {

PipelineLibrary::~PipelineLibrary() {
    for (auto& [name, p] : pipelines_) {
        if (p.pipeline) vkDestroyPipeline(ctx_.device(), p.pipeline, nullptr);
        if (p.layout) vkDestroyPipelineLayout(ctx_.device(), p.layout, nullptr);
        if (p.set_layout) vkDestroyDescriptorSetLayout(ctx_.device(), p.set_layout, nullptr);
    }
}

Status PipelineLibrary::prepare(std::span<const std::string_view> names) {
    for (std::string_view n : names) KVS_TRY(prepare(n));
    return {};
}

const Pipeline* PipelineLibrary::find(std::string_view name) const {
    auto it = pipelines_.find(name);
    return it == pipelines_.end() ? nullptr : &it->second;
}

Status PipelineLibrary::prepare(std::string_view name) {
    if (find(name)) return {};
    const PipelineShape* shape = pipeline_shape(name);
    const ShaderCode* code = find_shader(name);
    if (!shape || !code) return err("Vulkan: no shader named '", name, "' in this build");

    Pipeline p;
    p.name = std::string(name);
    p.bindings = shape->bindings;
    p.push_bytes = shape->push_bytes;
    VkDevice dev = ctx_.device();
    // Stored first so the destructor releases whatever was created if a later step fails.
    Pipeline& stored = pipelines_.emplace(p.name, p).first->second;

    std::vector<VkDescriptorSetLayoutBinding> bindings(shape->bindings);
    for (std::uint32_t i = 0; i < shape->bindings; ++i)
        bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo dl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    dl.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
    dl.bindingCount = shape->bindings;
    dl.pBindings = bindings.data();
    KVS_VK(vkCreateDescriptorSetLayout(dev, &dl, nullptr, &stored.set_layout));

    const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, shape->push_bytes};
    VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pl.setLayoutCount = 1;
    pl.pSetLayouts = &stored.set_layout;
    pl.pushConstantRangeCount = 1;
    pl.pPushConstantRanges = &range;
    KVS_VK(vkCreatePipelineLayout(dev, &pl, nullptr, &stored.layout));

    VkShaderModuleCreateInfo smi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    smi.codeSize = code->word_count * 4;
    smi.pCode = code->words;
    VkShaderModule module = VK_NULL_HANDLE;
    KVS_VK(vkCreateShaderModule(dev, &smi, nullptr, &module));
    VkComputePipelineCreateInfo cpi{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    cpi.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    cpi.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    cpi.stage.module = module;
    cpi.stage.pName = "main";
    cpi.layout = stored.layout;
    const VkResult r = vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpi, nullptr, &stored.pipeline);
    vkDestroyShaderModule(dev, module, nullptr);
    if (r != VK_SUCCESS) return err("Vulkan: building pipeline '", name, "' failed: ", to_string(r));
    return {};
}

}  // namespace kvs::vk
