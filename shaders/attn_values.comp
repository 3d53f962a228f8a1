#version 450
// out[i, h, d] = sum_{t <= slot(i)} probs[h, i, t] * v[kv(h), t, d]; each query reads its own
// sequence's values block by block through its block table (kv_address.glsl). GQA: kv(h) = h / group.
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
    uint block_size;
    uint head_stride;
    uint block_stride;
    uint row0;     // pass row of query 0
    uint group;
    uint base;     // element of the bound range where this V part starts (alignment slack)
    uint stride;   // elements between probability rows
} p;

layout(binding = 0) readonly buffer P { float probs[]; };  // [heads, n, stride]
layout(binding = 1) readonly buffer V { KV_T v[]; };       // one layer's V blocks
layout(binding = 2) writeonly buffer Out { float o[]; };   // [n, heads * head_dim]
layout(binding = 3) readonly buffer Rows { uvec4 rows[]; };
layout(binding = 4) readonly buffer Tables { uint block_tables[]; };
#include "kv_address.glsl"

void main() {
    uint slots = (p.head_dim + D - 1u) / D;  // groups of D dims per head
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.heads * slots) return;
    uint d0 = (idx % slots) * D;
    uint h = (idx / slots) % p.heads;
    uint i = idx / (slots * p.heads);
    uvec4 row = rows[p.row0 + i];
    uint visible = ROW_SLOT(row) + 1u;
    uint pb = (h * p.n + i) * p.stride;
    uint dd[D];  // dims past head_dim (a head_dim that is not a multiple of D) repeat the last one
    [[unroll]] for (uint j = 0u; j < D; ++j) dd[j] = min(d0 + j, p.head_dim - 1u);
    float acc[D];
    [[unroll]] for (uint j = 0u; j < D; ++j) acc[j] = 0.0;
    // One block of the table at a time: its rows are consecutive in memory.
    for (uint t0 = 0u; t0 < visible; t0 += p.block_size) {
        uint vb = KV_ROW(ROW_TABLE(row), t0, h / p.group);
        uint count = min(p.block_size, visible - t0);
        for (uint s = 0u; s < count; ++s) {
            float pr = probs[pb + t0 + s];
            uint r = vb + s * p.head_dim;
            [[unroll]] for (uint j = 0u; j < D; ++j) acc[j] += pr * LOAD_KV(v, r + dd[j]);
        }
    }
    uint ob = (i * p.heads + h) * p.head_dim;
    [[unroll]] for (uint j = 0u; j < D; ++j)
        if (d0 + j < p.head_dim) o[ob + d0 + j] = acc[j];
}
