#version 450
// In place: x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GPT-2's gelu_new).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params { uint count; } p;
layout(binding = 0) buffer X { float x[]; };

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.count) return;
    float v = x[idx];
    // tanh saturates to +-1 in F32 beyond |10|; clamping keeps drivers' exp-based tanh from overflowing.
    float u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0, 10.0);
    x[idx] = 0.5 * v * (1.0 + tanh(u));
}
