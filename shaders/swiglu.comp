#version 450
// gate = silu(gate) * up, elementwise over [n, hidden].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params { uint count; } p;
layout(binding = 0) buffer Gate { float gate[]; };
layout(binding = 1) readonly buffer Up { float up[]; };

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.count) return;
    float g = gate[idx];
    gate[idx] = (g / (1.0 + exp(-g))) * up[idx];
}
