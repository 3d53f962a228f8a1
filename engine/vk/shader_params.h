#pragma once
// Push constants of every shader, field for field as declared in shaders/*.comp (all 32-bit
// scalars, so C++ and std430 push-constant layouts agree), and the bindings each one takes.
#include <cstdint>
#include <string>
#include <string_view>

#include "model/weight_type.h"

namespace kvs::vk {

// w_stride: bytes between weight rows, read by the block-type variants (the F32 and F16 ones
// index elements).
struct EmbedParams {  // embed.comp
    std::uint32_t n, dim, row0, rows, add_positions, first_row, w_stride;
};
struct NormParams {  // rms_norm.comp, layer_norm.comp
    std::uint32_t n, dim;
    float eps;
};
struct MatmulParams {  // matmul.comp
    std::uint32_t m, rows, k, out_stride, out_col0, w_stride;
};
struct MatvecParams {  // matvec.comp
    std::uint32_t rows, k, in_offset, out_col0, m, in_stride, out_stride, w_stride;
};
struct DequantizeParams {  // dequantize.comp
    std::uint32_t rows, k, w_stride, by_unit;
};
struct BiasAddParams {  // bias_add.comp
    std::uint32_t n, cols;
};
struct RopeParams {  // rope.comp
    std::uint32_t n, heads, head_dim, half_rot, style, row0;
};
// The shaders that address the KV cache get the pool's strides (KvLayout) and read each row's
// slot and block table from the pass's row records (shaders/kv_address.glsl).
struct KvWriteParams {  // kv_write.comp
    std::uint32_t n, kv_heads, head_dim, block_size, head_stride, block_stride, row0, base;  // strides: KvLayout
};
struct AttnScoresParams {  // attn_scores.comp
    std::uint32_t n, heads, head_dim, block_size, head_stride, block_stride, row0, group;
    float scale;
    std::uint32_t base, keys, stride;
};
struct SoftmaxParams {  // softmax.comp
    std::uint32_t rows, n, stride, row0, keys;
};
struct AttnValuesParams {  // attn_values.comp
    std::uint32_t n, heads, head_dim, block_size, head_stride, block_stride, row0, group, base, stride;
};
// One row record per token of a pass, as the shaders read it (uvec4, kv_address.glsl).
struct PassRow {
    std::uint32_t token, position, slot, table;
};
struct CountParams {  // gelu.comp, swiglu.comp, add.comp
    std::uint32_t count;
};
struct ArgmaxParams {  // argmax.comp
    std::uint32_t count, offset;
};

// Storage-buffer bindings (0..bindings-1) and push-constant bytes of a shader variant. The
// shaders that read weight matrices are families with one variant per weight type on the
// device, named by weight_shader(); their entry holds for every variant.
struct PipelineShape {
    std::string_view name;
    std::uint32_t bindings;
    std::uint32_t push_bytes;
    bool weight_family = false;
};

inline constexpr PipelineShape kPipelineShapes[] = {
    {"embed", 4, sizeof(EmbedParams), true},
    {"rms_norm", 3, sizeof(NormParams)},
    {"layer_norm", 4, sizeof(NormParams)},
    {"matmul", 3, sizeof(MatmulParams), true},
    {"matvec", 3, sizeof(MatvecParams), true},
    {"dequantize", 2, sizeof(DequantizeParams), true},
    {"bias_add", 2, sizeof(BiasAddParams)},
    {"rope", 3, sizeof(RopeParams)},
    {"kv_write_f32", 4, sizeof(KvWriteParams)},
    {"kv_write_f16", 4, sizeof(KvWriteParams)},
    {"attn_scores_f32", 5, sizeof(AttnScoresParams)},
    {"attn_scores_f16", 5, sizeof(AttnScoresParams)},
    {"softmax", 2, sizeof(SoftmaxParams)},
    {"attn_values_f32", 5, sizeof(AttnValuesParams)},
    {"attn_values_f16", 5, sizeof(AttnValuesParams)},
    {"gelu", 1, sizeof(CountParams)},
    {"swiglu", 2, sizeof(CountParams)},
    {"add", 2, sizeof(CountParams)},
    {"argmax", 2, sizeof(ArgmaxParams)},
};

// "matvec_q4_k": the variant of a weight family for weights stored on the device as `type`.
inline std::string weight_shader(std::string_view family, WeightType type) {
    std::string name = std::string(family) + "_";
    for (const char* c = to_string(type); *c; ++c) name += char(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    return name;
}

// The shape of a shader variant: its own entry, or its weight family's ("matvec_q4_k").
inline const PipelineShape* pipeline_shape(std::string_view name) {
    for (const PipelineShape& s : kPipelineShapes)
        if (s.name == name) return &s;
    const std::size_t cut = name.find('_');
    if (cut == std::string_view::npos) return nullptr;
    for (const PipelineShape& s : kPipelineShapes)
        if (s.weight_family && s.name == name.substr(0, cut)) return &s;
    return nullptr;
}

// Vulkan guarantees 128 bytes of push constants on every device.
inline constexpr bool push_constants_fit() {
    for (const PipelineShape& s : kPipelineShapes)
        if (s.push_bytes > 128 || s.bindings > 8) return false;  // the recorder pushes at most 8 descriptors
    return true;
}
static_assert(push_constants_fit());

// Workgroup sizes the shaders declare (local_size_x), for the host's group counts.
inline constexpr std::uint32_t kLinearGroup = 64;    // elementwise shaders and matvec
inline constexpr std::uint32_t kMatmulBlock = 64;    // matmul.comp: 64x64 output block per workgroup
inline constexpr std::uint32_t kMatvecMaxRows = 8;   // matvec.comp: MAX_M input rows
inline constexpr std::uint32_t kMatvecRowsPerGroup = 32;  // matvec.comp: ROWS weight rows per workgroup
inline constexpr std::uint32_t kSoftmaxRowsPerGroup = 4;  // softmax.comp: ROWS score rows per workgroup
inline constexpr std::uint32_t kAttnScoresKeys = 4;  // attn_scores.comp: T keys per invocation
inline constexpr std::uint32_t kAttnValuesDims = 4;  // attn_values.comp: D head dims per invocation
inline constexpr std::uint32_t kArgmaxGroup = 256;

}  // namespace kvs::vk
