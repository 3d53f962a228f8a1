#version 450
// Residual add: x += y, elementwise.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params { uint count; } p;
layout(binding = 0) buffer X { float x[]; };
layout(binding = 1) readonly buffer Y { float y[]; };

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.count) return;
    x[idx] += y[idx];
}
