#version 450
// scores[h, i, t] = (q[i, h] . k[kv(h), t]) / sqrt(head_dim) for the cached slots t <= slot(i)
// that query i may see (the causal mask is applied by softmax.comp); each query reads its own
// sequence's keys through its block table (kv_address.glsl). GQA: kv(h) = h / group.
// Each invocation computes T consecutive keys of one (h, i), so each q element it loads serves T
// products (loads, not arithmetic, are the cost on CPU drivers such as lavapipe).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define T 4u
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;             // queries (rows of the chunk)
    uint heads;         // query heads
    uint head_dim;
    uint block_size;
    uint head_stride;
    uint block_stride;
    uint row0;          // pass row of query 0
    uint group;         // query heads per KV head
    float scale;
    uint base;          // element of the bound range where this K part starts (alignment slack)
    uint keys;          // most keys any query of the chunk sees (the grid's extent)
    uint stride;        // elements between score rows
} p;

layout(binding = 0) readonly buffer Q { float q[]; };        // [n, heads * head_dim]
layout(binding = 1) readonly buffer K { KV_T k[]; };         // one layer's K blocks
layout(binding = 2) writeonly buffer S { float scores[]; };  // [heads, n, stride]
layout(binding = 3) readonly buffer Rows { uvec4 rows[]; };
layout(binding = 4) readonly buffer Tables { uint block_tables[]; };
#include "kv_address.glsl"

void main() {
    uint slots = (p.keys + T - 1u) / T;  // groups of T keys per score row
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.heads * p.n * slots) return;
    uint t0 = (idx % slots) * T;
    uint i = (idx / slots) % p.n;
    uint h = idx / (slots * p.n);
    uvec4 row = rows[p.row0 + i];
    uint visible = ROW_SLOT(row) + 1u;
    if (t0 >= visible) return;
    uint qb = (i * p.heads + h) * p.head_dim;
    uint kb[T];  // keys past the visible ones repeat the last visible key and are not stored
    [[unroll]] for (uint j = 0u; j < T; ++j)
        kb[j] = KV_ROW(ROW_TABLE(row), min(t0 + j, visible - 1u), h / p.group);
    float acc[T];
    [[unroll]] for (uint j = 0u; j < T; ++j) acc[j] = 0.0;
    for (uint d = 0u; d < p.head_dim; ++d) {
        float qd = q[qb + d];
        [[unroll]] for (uint j = 0u; j < T; ++j) acc[j] += qd * LOAD_KV(k, kb[j] + d);
    }
    uint sb = (h * p.n + i) * p.stride;
    [[unroll]] for (uint j = 0u; j < T; ++j)
        if (t0 + j < visible) scores[sb + t0 + j] = acc[j] * p.scale;
}
