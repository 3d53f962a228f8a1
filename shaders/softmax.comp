#version 450
// Causal softmax in place over each score row (h, i): keys 0..pos0+i become probabilities,
// keys pos0+i+1 .. pos0+n-1 become 0. One workgroup per row.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows;      // heads * n
    uint n;         // queries
    uint capacity;  // row stride
    uint pos0;
} p;

layout(binding = 0) buffer S { float s[]; };  // [heads, n, capacity]

shared float partial[64];

void main() {
    uint row = flat_group();
    if (row >= p.rows) return;
    uint tid = gl_LocalInvocationID.x;
    uint i = row % p.n, base = row * p.capacity;
    uint visible = p.pos0 + i + 1u, keys = p.pos0 + p.n;

    float m = -3.402823466e38;
    for (uint t = tid; t < visible; t += 64u) m = max(m, s[base + t]);
    partial[tid] = m;
    barrier();
    for (uint stride = 32u; stride > 0u; stride >>= 1) {
        if (tid < stride) partial[tid] = max(partial[tid], partial[tid + stride]);
        barrier();
    }
    float row_max = partial[0];
    barrier();

    float sum = 0.0;
    for (uint t = tid; t < visible; t += 64u) {
        float e = exp(s[base + t] - row_max);
        s[base + t] = e;
        sum += e;
    }
    partial[tid] = sum;
    barrier();
    for (uint stride = 32u; stride > 0u; stride >>= 1) {
        if (tid < stride) partial[tid] += partial[tid + stride];
        barrier();
    }
    float inv = 1.0 / partial[0];
    // Each thread rescales the entries it wrote itself, so no buffer barrier is needed.
    for (uint t = tid; t < visible; t += 64u) s[base + t] *= inv;
    for (uint t = visible + tid; t < keys; t += 64u) s[base + t] = 0.0;
}
