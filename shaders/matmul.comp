#version 450
// Prefill GEMM: out[m, out_col0 + r] = sum_k a[m, k] * w[r, k] for the bound row chunk of w.
// A workgroup of 16x16 threads computes a 64x64 output block; each thread holds a 4x4 micro-tile
// in registers (rows ty + 16i, columns tx + 16j), and each step stages 16-deep slices of a and w
// in shared memory, so every barrier pair is followed by 256 multiply-adds per thread. Weights
// in block types are decoded value by value as the slices are staged.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define BLOCK 64u
#define DEPTH 16u
layout(local_size_x = 16, local_size_y = 16) in;

layout(push_constant) uniform Params {
    uint m;           // rows of a (tokens)
    uint rows;        // rows of the bound w chunk (output features)
    uint k;           // inner dimension
    uint out_stride;  // elements between output rows
    uint out_col0;    // output column of chunk row 0
    uint w_stride;    // bytes between weight rows (block types)
} p;

layout(binding = 0) readonly buffer A { float a[]; };      // [m, k]
layout(binding = 1) readonly buffer W { WEIGHT_T w[]; };   // [rows, k]
#if defined(WEIGHT_BLOCKS)
#include "block_layout.glsl"
#define WEIGHT_AT(row, col) block_weight(row, col, p.w_stride)
#else
#define WEIGHT_AT(row, col) LOAD_WEIGHT(w, (row) * p.k + (col))
#endif
layout(binding = 2) writeonly buffer Out { float c[]; };   // [m, out_stride]

shared float slice_a[DEPTH][BLOCK];  // [k][m]
shared float slice_w[DEPTH][BLOCK];  // [k][r]

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * 16u + tx;
    uint r0 = gl_WorkGroupID.x * BLOCK, m0 = gl_WorkGroupID.y * BLOCK;
    float acc[4][4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i)
        [[unroll]] for (uint j = 0u; j < 4u; ++j) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.k; k0 += DEPTH) {
        // 64x16 elements of each operand, 4 per thread; consecutive threads read consecutive k.
        [[unroll]] for (uint q = 0u; q < 4u; ++q) {
            uint e = tid + 256u * q;
            uint row = e / DEPTH, kk = e % DEPTH;
            uint gk = k0 + kk;
            slice_a[kk][row] = (m0 + row < p.m && gk < p.k) ? a[(m0 + row) * p.k + gk] : 0.0;
            slice_w[kk][row] = (r0 + row < p.rows && gk < p.k) ? WEIGHT_AT(r0 + row, gk) : 0.0;
        }
        barrier();
        [[unroll]] for (uint kk = 0u; kk < DEPTH; ++kk) {
            float av[4], wv[4];
            [[unroll]] for (uint i = 0u; i < 4u; ++i) av[i] = slice_a[kk][ty + 16u * i];
            [[unroll]] for (uint j = 0u; j < 4u; ++j) wv[j] = slice_w[kk][tx + 16u * j];
            [[unroll]] for (uint i = 0u; i < 4u; ++i)
                [[unroll]] for (uint j = 0u; j < 4u; ++j) acc[i][j] += av[i] * wv[j];
        }
        barrier();
    }
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        uint m = m0 + ty + 16u * i;
        if (m >= p.m) continue;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            uint r = r0 + tx + 16u * j;
            if (r < p.rows) c[m * p.out_stride + p.out_col0 + r] = acc[i][j];
        }
    }
}
