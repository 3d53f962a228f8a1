#version 450
// out[i, h, d] = sum_{t <= pos0 + i} probs[h, i, t] * v[kv(h), t, d]; GQA: kv(h) = h / group.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
    uint heads;
    uint head_dim;
    uint capacity;
    uint pos0;
    uint group;
    uint base;  // element of the bound range where this V block starts (alignment slack)
} p;

layout(binding = 0) readonly buffer P { float probs[]; };  // [heads, n, capacity]
layout(binding = 1) readonly buffer V { KV_T v[]; };       // [kv_heads, capacity, head_dim]
layout(binding = 2) writeonly buffer Out { float o[]; };   // [n, heads * head_dim]

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.heads * p.head_dim) return;
    uint d = idx % p.head_dim;
    uint h = (idx / p.head_dim) % p.heads;
    uint i = idx / (p.head_dim * p.heads);
    uint pb = (h * p.n + i) * p.capacity;
    uint vb = p.base + (h / p.group) * p.capacity * p.head_dim + d;
    float acc = 0.0;
    for (uint t = 0u; t <= p.pos0 + i; ++t) acc += probs[pb + t] * LOAD_KV(v, vb + t * p.head_dim);
    o[idx] = acc;
}
