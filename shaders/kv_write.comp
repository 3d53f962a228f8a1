#version 450
// Stores src: [n, kv_heads * head_dim], the K or V rows of the chunk's tokens, into one layer's
// K or V blocks, each at its token's cache slot through its sequence's block table (see
// kv_address.glsl), as F32 or as packed F16 pairs.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;             // rows (tokens) of the chunk
    uint kv_heads;
    uint head_dim;
    uint block_size;    // positions per block
    uint head_stride;   // elements between KV heads (each has a run of every block)
    uint block_stride;  // elements between physical blocks of one head
    uint row0;          // pass row of the chunk's first token
    uint base;          // element of the bound range where this K or V part starts (alignment slack)
} p;

layout(binding = 0) readonly buffer Src { float src[]; };
layout(binding = 1) writeonly buffer Cache { KV_T cache[]; };
layout(binding = 2) readonly buffer Rows { uvec4 rows[]; };
layout(binding = 3) readonly buffer Tables { uint block_tables[]; };
#include "kv_address.glsl"

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
    uvec4 row = rows[p.row0 + i];
    uint dst = KV_ROW(ROW_TABLE(row), ROW_SLOT(row), h) + d;
#ifdef KV_F16
    cache[dst >> 1] = packHalf2x16(vec2(src[e], src[e + 1u]));
#else
    cache[dst] = src[e];
#endif
}
