#include "vk/shader_registry.h"

namespace kvs::vk {

const ShaderCode* find_shader(std::string_view name) {
    for (const ShaderCode& s : embedded_shaders())
        if (name == s.name) return &s;
    return nullptr;
}

}  // namespace kvs::vk
