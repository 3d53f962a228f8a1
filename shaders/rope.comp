#version 450
// Rotary embedding in place over x: [n, heads * head_dim]; row i is at its pass row's position.
// cos/sin come from a host-computed table [positions, rotary_dim / 2] so that every device
// rotates by exactly the angles of the CPU reference.
// style 0: adjacent pairs (2j, 2j+1) (llama2.c, GGUF); style 1: halves (j, j + rotary_dim/2) (HF).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
    uint heads;
    uint head_dim;
    uint half_rot;  // rotary_dim / 2
    uint style;
    uint row0;  // pass row of row 0
} p;

layout(binding = 0) readonly buffer Table { vec2 cos_sin[]; };  // [positions, half_rot]
layout(binding = 1) buffer X { float x[]; };
layout(binding = 2) readonly buffer Rows { uvec4 rows[]; };  // y: position (kv_address.glsl)

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.heads * p.half_rot) return;
    uint j = idx % p.half_rot;
    uint h = (idx / p.half_rot) % p.heads;
    uint i = idx / (p.half_rot * p.heads);
    uint base = (i * p.heads + h) * p.head_dim;
    uint a = p.style == 0u ? 2u * j : j;
    uint b = p.style == 0u ? 2u * j + 1u : j + p.half_rot;
    vec2 cs = cos_sin[rows[p.row0 + i].y * p.half_rot + j];
    float x0 = x[base + a], x1 = x[base + b];
    x[base + a] = x0 * cs.x - x1 * cs.y;
    x[base + b] = x0 * cs.y + x1 * cs.x;
}
