#version 450
// out[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * w; one workgroup per row.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
    uint dim;
    float eps;
} p;

layout(binding = 0) readonly buffer X { float x[]; };    // [n, dim]
layout(binding = 1) readonly buffer W { float w[]; };    // [dim]
layout(binding = 2) writeonly buffer Out { float y[]; };  // [n, dim]

shared float partial[64];

void main() {
    uint row = flat_group();
    if (row >= p.n) return;  // uniform over the workgroup
    uint tid = gl_LocalInvocationID.x, base = row * p.dim;
    float s = 0.0;
    for (uint c = tid; c < p.dim; c += 64u) s += x[base + c] * x[base + c];
    partial[tid] = s;
    barrier();
    for (uint stride = 32u; stride > 0u; stride >>= 1) {
        if (tid < stride) partial[tid] += partial[tid + stride];
        barrier();
    }
    float scale = 1.0 / sqrt(partial[0] / float(p.dim) + p.eps);
    for (uint c = tid; c < p.dim; c += 64u) y[base + c] = (x[base + c] * scale) * w[c];
}
