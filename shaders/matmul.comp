#version 450
// Prefill GEMM: out[m, out_col0 + r] = sum_k a[m, k] * w[r, k] for the bound row chunk of w.
// 16x16 output tiles; each step stages a 16x16 tile of a and of w in shared memory.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define TILE 16u
layout(local_size_x = 16, local_size_y = 16) in;

layout(push_constant) uniform Params {
    uint m;           // rows of a (tokens)
    uint rows;        // rows of the bound w chunk (output features)
    uint k;           // inner dimension
    uint out_stride;  // elements between output rows
    uint out_col0;    // output column of chunk row 0
} p;

layout(binding = 0) readonly buffer A { float a[]; };       // [m, k]
layout(binding = 1) readonly buffer W { WEIGHT_T w[]; };    // [rows, k]
layout(binding = 2) writeonly buffer Out { float c[]; };    // [m, out_stride]

shared float tile_a[TILE][TILE + 1];  // [m][k], padded against bank conflicts
shared float tile_w[TILE][TILE + 1];  // [r][k]

void main() {
    uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
    uint r0 = gl_WorkGroupID.x * TILE, m0 = gl_WorkGroupID.y * TILE;
    uint r = r0 + lx, m = m0 + ly;
    float acc = 0.0;
    for (uint k0 = 0u; k0 < p.k; k0 += TILE) {
        // Thread (lx, ly) loads a[m0 + ly, k0 + lx] and w[r0 + ly, k0 + lx].
        uint kk = k0 + lx;
        tile_a[ly][lx] = (m0 + ly < p.m && kk < p.k) ? a[(m0 + ly) * p.k + kk] : 0.0;
        tile_w[ly][lx] = (r0 + ly < p.rows && kk < p.k) ? LOAD_WEIGHT(w, (r0 + ly) * p.k + kk) : 0.0;
        barrier();
        for (uint t = 0u; t < TILE; ++t) acc += tile_a[ly][t] * tile_w[lx][t];
        barrier();
    }
    if (m < p.m && r < p.rows) c[m * p.out_stride + p.out_col0 + r] = acc;
}
