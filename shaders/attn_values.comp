#version 450
// out[i, h, d] = sum_{t <= pos0 + i} probs[h, i, t] * v[kv(h), t, d]; GQA: kv(h) = h / group.
// Each invocation computes D consecutive d of one (i, h), so each probability it loads serves D
// products (loads, not arithmetic, are the cost on CPU drivers such as lavapipe); invocations
// next to each other still read neighbouring V elements.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define D 4u
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
    uint slots = (p.head_dim + D - 1u) / D;  // groups of D dims per head
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.heads * slots) return;
    uint d0 = (idx % slots) * D;
    uint h = (idx / slots) % p.heads;
    uint i = idx / (slots * p.heads);
    uint pb = (h * p.n + i) * p.capacity;
    uint vb = p.base + (h / p.group) * p.capacity * p.head_dim;
    uint dd[D];  // dims past head_dim (a head_dim that is not a multiple of D) repeat the last one
    [[unroll]] for (uint j = 0u; j < D; ++j) dd[j] = vb + min(d0 + j, p.head_dim - 1u);
    float acc[D];
    [[unroll]] for (uint j = 0u; j < D; ++j) acc[j] = 0.0;
    for (uint t = 0u; t <= p.pos0 + i; ++t) {
        float pr = probs[pb + t];
        uint row = t * p.head_dim;
        [[unroll]] for (uint j = 0u; j < D; ++j) acc[j] += pr * LOAD_KV(v, dd[j] + row);
    }
    uint ob = (i * p.heads + h) * p.head_dim;
    [[unroll]] for (uint j = 0u; j < D; ++j)
        if (d0 + j < p.head_dim) o[ob + d0 + j] = acc[j];
}
