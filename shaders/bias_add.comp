#version 450
// y[i, c] += b[c] over y: [n, cols].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
    uint cols;
} p;

layout(binding = 0) readonly buffer B { float b[]; };  // [cols]
layout(binding = 1) buffer Y { float y[]; };           // [n, cols]

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.cols) return;
    y[idx] += b[idx % p.cols];
}
