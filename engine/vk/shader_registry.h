#pragma once
// SPIR-V modules compiled from shaders/*.comp at build time and linked into the binary
// (shaders/embed_spirv.cmake generates the table).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kvs::vk {

struct ShaderCode {
    const char* name;  // variant name, e.g. "matvec_f16"
    const std::uint32_t* words;
    std::size_t word_count;
};

std::span<const ShaderCode> embedded_shaders();
const ShaderCode* find_shader(std::string_view name);

}  // namespace kvs::vk
