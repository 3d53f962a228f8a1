#version 450
// Decode GEMV: out[out_col0 + r] = sum_k x[in_offset + k] * w[r, k]; one workgroup per row,
// partial sums reduced with subgroupAdd and then across the workgroup's subgroups.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows;       // rows of the bound w chunk
    uint k;          // inner dimension (even for F16 weights)
    uint in_offset;  // element of x where the input row starts
    uint out_col0;   // output element of chunk row 0
} p;

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer W { WEIGHT_T w[]; };  // [rows, k]
layout(binding = 2) buffer Out { float y[]; };

shared float subgroup_sums[64];

void main() {
    uint row = flat_group();
    if (row >= p.rows) return;  // uniform over the workgroup
    uint tid = gl_LocalInvocationID.x;
    float s = 0.0;
#ifdef WEIGHT_F16
    uint base = (row * p.k) >> 1;
    for (uint j = tid; j < p.k / 2u; j += 64u) {
        vec2 pair = unpackHalf2x16(w[base + j]);
        s += x[p.in_offset + 2u * j] * pair.x + x[p.in_offset + 2u * j + 1u] * pair.y;
    }
#else
    uint base = row * p.k;
    for (uint j = tid; j < p.k; j += 64u) s += x[p.in_offset + j] * w[base + j];
#endif
    s = subgroupAdd(s);
    if (subgroupElect()) subgroup_sums[gl_SubgroupID] = s;
    barrier();
    if (tid == 0u) {
        float total = 0.0;
        for (uint i = 0u; i < gl_NumSubgroups; ++i) total += subgroup_sums[i];
        y[p.out_col0 + row] = total;
    }
}
