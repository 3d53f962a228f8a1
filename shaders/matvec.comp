#version 450
// Decode GEMV, and small batches of up to MAX_M input rows (short prefills, where GEMM blocks
// would be mostly padding): out[i, out_col0 + r] = sum_k x[i, k] * w[r, k].
// A workgroup covers ROWS weight rows; each subgroup takes rows in turn, its invocations stride
// over k and subgroupAdd reduces their partial sums, so each weight is read once for all inputs
// and no shared memory or barrier is needed. Works for any subgroup size.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define MAX_M 8u
#define ROWS 8u
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

// The decode case: one accumulator, nothing for the compiler to keep in arrays.
float dot_one(uint row, uint lane, uint lanes) {
    float s = 0.0;
#ifdef WEIGHT_F16
    uint base = (row * p.k) >> 1;
    for (uint j = lane; j < p.k / 2u; j += lanes) {
        vec2 pair = unpackHalf2x16(w[base + j]);
        s += x[p.in_offset + 2u * j] * pair.x + x[p.in_offset + 2u * j + 1u] * pair.y;
    }
#else
    uint base = row * p.k;
    for (uint j = lane; j < p.k; j += lanes) s += x[p.in_offset + j] * w[base + j];
#endif
    return s;
}

// Several inputs: the loops over inputs have a constant trip count so that s[] stays in registers.
void dot_many(uint row, uint lane, uint lanes, inout float s[MAX_M]) {
#ifdef WEIGHT_F16
    uint base = (row * p.k) >> 1;
    for (uint j = lane; j < p.k / 2u; j += lanes) {
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
    for (uint j = lane; j < p.k; j += lanes) {
        float wv = w[base + j];
        [[unroll]] for (uint i = 0u; i < MAX_M; ++i)
            if (i < p.m) s[i] += x[p.in_offset + i * p.in_stride + j] * wv;
    }
#endif
}

void main() {
    uint first = flat_group() * ROWS;
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    for (uint r = gl_SubgroupID; r < ROWS; r += gl_NumSubgroups) {
        uint row = first + r;
        if (row >= p.rows) break;  // uniform over the subgroup
        if (p.m == 1u) {
            float t = subgroupAdd(dot_one(row, lane, lanes));
            if (subgroupElect()) y[p.out_col0 + row] = t;
            continue;
        }
        float s[MAX_M];
        [[unroll]] for (uint i = 0u; i < MAX_M; ++i) s[i] = 0.0;
        dot_many(row, lane, lanes, s);
        [[unroll]] for (uint i = 0u; i < MAX_M; ++i) {
            if (i < p.m) {
                float t = subgroupAdd(s[i]);
                if (subgroupElect()) y[i * p.out_stride + p.out_col0 + row] = t;
            }
        }
    }
}
