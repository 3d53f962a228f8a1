#version 450
// scores[h, i, t] = (q[i, h] . k[kv(h), t]) / sqrt(head_dim) for the keys t <= pos0 + i that
// query i may see (the causal mask is applied by softmax.comp). GQA: kv(h) = h / group.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;         // queries
    uint heads;     // query heads
    uint head_dim;
    uint capacity;  // positions per KV head in the cache, and the scores row stride
    uint pos0;      // position of query 0
    uint group;     // query heads per KV head
    float scale;
    uint base;      // element of the bound range where this K block starts (alignment slack)
} p;

layout(binding = 0) readonly buffer Q { float q[]; };        // [n, heads * head_dim]
layout(binding = 1) readonly buffer K { KV_T k[]; };         // [kv_heads, capacity, head_dim]
layout(binding = 2) writeonly buffer S { float scores[]; };  // [heads, n, capacity]

void main() {
    uint keys = p.pos0 + p.n;
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.heads * p.n * keys) return;
    uint t = idx % keys;
    uint i = (idx / keys) % p.n;
    uint h = idx / (keys * p.n);
    if (t > p.pos0 + i) return;
    uint qb = (i * p.heads + h) * p.head_dim;
    uint kb = p.base + ((h / p.group) * p.capacity + t) * p.head_dim;
    float dot_qk = 0.0;
    for (uint d = 0u; d < p.head_dim; ++d) dot_qk += q[qb + d] * LOAD_KV(k, kb + d);
    scores[(h * p.n + i) * p.capacity + t] = dot_qk * p.scale;
}
