#version 450
// x[i, :] = table[token_i, :] (+ positions[position_i, :]) for the tokens whose id falls in
// the bound row chunk [row0, row0 + rows) of the table (big tables are bound in chunks). A table
// in a block type is decoded on read.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;              // tokens
    uint dim;
    uint row0;           // first table row of the bound chunk
    uint rows;           // rows in the bound chunk
    uint add_positions;  // 1 = GPT-2 learned positions
    uint first_row;      // pass row of token 0
    uint w_stride;       // bytes between table rows (block types)
} p;

layout(binding = 0) readonly buffer Rows { uvec4 rows[]; };  // x: token id, y: position (kv_address.glsl)
layout(binding = 1) readonly buffer Table { WEIGHT_T w[]; };  // [rows, dim]
#if defined(WEIGHT_BLOCKS)
#include "block_layout.glsl"
#define WEIGHT_AT(row, col) block_weight(row, col, p.w_stride)
#else
#define WEIGHT_AT(row, col) LOAD_WEIGHT(w, (row) * p.dim + (col))
#endif
layout(binding = 2) readonly buffer Positions { float positions[]; };  // [max_seq, dim] F32
layout(binding = 3) writeonly buffer X { float x[]; };  // [n, dim]

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
    if (idx >= p.n * p.dim) return;
    uint i = idx / p.dim, c = idx % p.dim;
    uvec4 row = rows[p.first_row + i];
    uint token = row.x;
    if (token < p.row0 || token >= p.row0 + p.rows) return;
    float v = WEIGHT_AT(token - p.row0, c);
    if (p.add_positions != 0u) v += positions[row.y * p.dim + c];
    x[idx] = v;
}
