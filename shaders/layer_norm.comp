#version 450
// out[i, :] = (x[i, :] - mean) / sqrt(var + eps) * w + b; one workgroup per row.
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
layout(binding = 2) readonly buffer B { float b[]; };    // [dim]
layout(binding = 3) writeonly buffer Out { float y[]; };  // [n, dim]

shared float partial[64];

float workgroup_sum(float v) {
    uint tid = gl_LocalInvocationID.x;
    barrier();  // earlier readers of partial[0] are done
    partial[tid] = v;
    barrier();
    for (uint stride = 32u; stride > 0u; stride >>= 1) {
        if (tid < stride) partial[tid] += partial[tid + stride];
        barrier();
    }
    return partial[0];
}

void main() {
    uint row = flat_group();
    if (row >= p.n) return;
    uint tid = gl_LocalInvocationID.x, base = row * p.dim;
    float s = 0.0;
    for (uint c = tid; c < p.dim; c += 64u) s += x[base + c];
    float mean = workgroup_sum(s) / float(p.dim);
    float sq = 0.0;
    for (uint c = tid; c < p.dim; c += 64u) {
        float d = x[base + c] - mean;
        sq += d * d;
    }
    float inv = 1.0 / sqrt(workgroup_sum(sq) / float(p.dim) + p.eps);
    for (uint c = tid; c < p.dim; c += 64u) y[base + c] = ((x[base + c] - mean) * inv) * w[c] + b[c];
}
