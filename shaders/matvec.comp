#version 450
// Decode GEMV, and small batches of up to MAX_M input rows (short prefills, where 16-row GEMM
// tiles would be mostly padding): out[i, out_col0 + r] = sum_k x[i, k] * w[r, k]. One workgroup
// per weight row, so each weight is read once for all inputs; partial sums are reduced with
// subgroupAdd and then across the workgroup's subgroups.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define MAX_M 8u
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows;        // rows of the bound w chunk
    uint k;           // inner dimension (even for F16 weights)
    uint in_offset;   // element of x where input row 0 starts
    uint out_col0;    // output column of chunk row 0
    uint m;           // input rows, 1..MAX_M
    uint in_stride;   // elements between input rows
    uint out_stride;  // elements between output rows
} p;

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer W { WEIGHT_T w[]; };  // [rows, k]
layout(binding = 2) writeonly buffer Out { float y[]; };

shared float subgroup_sums[MAX_M][64];

// Accumulates x[i, :] . w[row, :] over this thread's slice for the first `m` inputs. The loops
// over inputs have a constant trip count so that s[] stays in registers.
void accumulate(uint row, uint tid, inout float s[MAX_M]) {
#ifdef WEIGHT_F16
    uint base = (row * p.k) >> 1;
    for (uint j = tid; j < p.k / 2u; j += 64u) {
        vec2 pair = unpackHalf2x16(w[base + j]);
        [[unroll]] for (uint i = 0u; i < MAX_M; ++i) {
            if (i < p.m) {
                uint xi = p.in_offset + i * p.in_stride + 2u * j;
                s[i] += x[xi] * pair.x + x[xi + 1u] * pair.y;
            }
        }
    }
#else
    uint base = row * p.k;
    for (uint j = tid; j < p.k; j += 64u) {
        float wv = w[base + j];
        [[unroll]] for (uint i = 0u; i < MAX_M; ++i)
            if (i < p.m) s[i] += x[p.in_offset + i * p.in_stride + j] * wv;
    }
#endif
}

// The decode case on its own: one accumulator, nothing for the compiler to keep in arrays.
float accumulate_one(uint row, uint tid) {
    float s = 0.0;
#ifdef WEIGHT_F16
    uint base = (row * p.k) >> 1;
    for (uint j = tid; j < p.k / 2u; j += 64u) {
        vec2 pair = unpackHalf2x16(w[base + j]);
        s += x[p.in_offset + 2u * j] * pair.x + x[p.in_offset + 2u * j + 1u] * pair.y;
    }
#else
    uint base = row * p.k;
    for (uint j = tid; j < p.k; j += 64u) s += x[p.in_offset + j] * w[base + j];
#endif
    return s;
}

void main() {
    uint row = flat_group();
    if (row >= p.rows) return;  // uniform over the workgroup
    uint tid = gl_LocalInvocationID.x;
    float s[MAX_M];
    [[unroll]] for (uint i = 0u; i < MAX_M; ++i) s[i] = 0.0;
    if (p.m == 1u)
        s[0] = accumulate_one(row, tid);
    else
        accumulate(row, tid, s);
    [[unroll]] for (uint i = 0u; i < MAX_M; ++i) {
        if (i < p.m) {
            float t = subgroupAdd(s[i]);
            if (subgroupElect()) subgroup_sums[i][gl_SubgroupID] = t;
        }
    }
    barrier();
    if (tid < p.m) {
        float total = 0.0;
        for (uint g = 0u; g < gl_NumSubgroups; ++g) total += subgroup_sums[tid][g];
        y[tid * p.out_stride + p.out_col0 + row] = total;
    }
}
