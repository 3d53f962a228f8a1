#version 450
// Stores src: [n, kv_heads * head_dim] at positions pos0.. of one layer's K or V block
// [kv_heads, capacity, head_dim] (engine/kv/kv_layout.h), as F32 or as packed F16 pairs.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
    uint kv_heads;
    uint head_dim;
    uint capacity;
    uint pos0;
    uint base;  // element of the bound range where this K or V block starts (alignment slack)
} p;

layout(binding = 0) readonly buffer Src { float src[]; };
layout(binding = 1) writeonly buffer Cache { KV_T cache[]; };

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    uint kv_dim = p.kv_heads * p.head_dim;
#ifdef KV_F16
    if (idx >= p.n * kv_dim / 2u) return;
    uint e = idx * 2u;  // first of the pair; head_dim is even so a pair never spans heads
#else
    if (idx >= p.n * kv_dim) return;
    uint e = idx;
#endif
    uint i = e / kv_dim, h = (e % kv_dim) / p.head_dim, d = e % p.head_dim;
    uint dst = p.base + (h * p.capacity + p.pos0 + i) * p.head_dim + d;
#ifdef KV_F16
    cache[dst >> 1] = packHalf2x16(vec2(src[e], src[e + 1u]));
#else
    cache[dst] = src[e];
#endif
}
