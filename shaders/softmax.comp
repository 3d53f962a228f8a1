#version 450
// Causal softmax in place over each score row (h, i): the keys of slots 0..slot(i) become
// probabilities, the rest of the row up to `keys` becomes 0. A workgroup covers ROWS rows, one
// subgroup per row at a time: subgroupMax/subgroupAdd reduce, so there is no shared memory and
// no barrier (lavapipe runs a workgroup's subgroups one after another on one thread and
// switches between all of them at every barrier). Works for any subgroup size.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "common.glsl"
#define ROWS 4u
layout(local_size_x = 32) in;

layout(push_constant) uniform Params {
    uint rows;    // heads * n
    uint n;       // queries
    uint stride;  // elements between score rows
    uint row0;    // pass row of query 0
    uint keys;    // entries of each row to cover (most keys any query of the chunk sees)
} p;

layout(binding = 0) buffer S { float s[]; };  // [heads, n, stride]
layout(binding = 1) readonly buffer Rows { uvec4 rows[]; };  // pass rows: z = cache slot (kv_address.glsl)

void softmax_row(uint row) {
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    uint i = row % p.n, base = row * p.stride;
    uint visible = rows[p.row0 + i].z + 1u, keys = p.keys;

    float m = -3.402823466e38;
    for (uint t = lane; t < visible; t += lanes) m = max(m, s[base + t]);
    float row_max = subgroupMax(m);

    float sum = 0.0;
    for (uint t = lane; t < visible; t += lanes) {
        float e = exp(s[base + t] - row_max);
        s[base + t] = e;
        sum += e;
    }
    float inv = 1.0 / subgroupAdd(sum);
    // Each invocation rescales the entries it wrote itself, so no buffer barrier is needed.
    for (uint t = lane; t < visible; t += lanes) s[base + t] *= inv;
    for (uint t = visible + lane; t < keys; t += lanes) s[base + t] = 0.0;
}

void main() {
    uint first = flat_group() * ROWS;
    for (uint r = gl_SubgroupID; r < ROWS; r += gl_NumSubgroups) {
        if (first + r >= p.rows) break;  // uniform over the subgroup
        softmax_row(first + r);
    }
}
