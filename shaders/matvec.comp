#version 450
// Decode GEMV, and small batches of up to MAX_M input rows (short prefills, where GEMM blocks
// would be mostly padding): out[i, out_col0 + r] = sum_k x[i, k] * w[r, k].
// A workgroup covers ROWS weight rows. Each subgroup takes R rows at a time: its
// invocations stride over k in vectors (uvec4 = 8 packed halves, a vec4, or for the block types
// one unit of 8 values decoded on read, block_layout.glsl), so a subgroup's weight
// reads are contiguous, each x vector read serves all those rows and all inputs, and subgroupAdd
// reduces the partial sums: no shared memory, no barrier, any subgroup size. On a CPU driver (lavapipe runs
// a subgroup as the SIMD lanes of one thread, loading every lane's element separately), the
// work per load is what counts, hence the vectors and the reuse of x over rows.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#define MAX_M 8u
#define ROWS 32u
#define R 8u  // weight rows per subgroup pass
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows;        // rows of the bound w chunk
    uint k;           // inner dimension (even for F16 weights)
    uint in_offset;   // element of x where input row 0 starts
    uint out_col0;    // output column of chunk row 0
    uint m;           // input rows; workgroup row y takes rows MAX_M y .. MAX_M y + MAX_M - 1
    uint in_stride;   // elements between input rows
    uint out_stride;  // elements between output rows
    uint w_stride;    // bytes between weight rows (block types)
} p;

// x and w are also read as vectors through aliases of the same bindings.
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 0) readonly buffer X4 { vec4 x4[]; };
layout(binding = 1) readonly buffer W { WEIGHT_T w[]; };  // [rows, k]
#if defined(WEIGHT_BLOCKS)
#include "block_layout.glsl"
#define VEC 8u
#define WIDE  // two vec4 per step
#define WEIGHT_AT(row, col) block_weight(row, col, p.w_stride)
#elif defined(WEIGHT_F16)
layout(binding = 1) readonly buffer W4 { uvec4 w4[]; };   // 8 halves per vector
#define VEC 8u
#define WIDE
#define WEIGHT_AT(row, col) LOAD_WEIGHT(w, (row) * p.k + (col))
#else
layout(binding = 1) readonly buffer W4 { vec4 w4[]; };
#define VEC 4u
#define WEIGHT_AT(row, col) LOAD_WEIGHT(w, (row) * p.k + (col))
#endif
layout(binding = 2) writeonly buffer Out { float y[]; };

// Input block of this workgroup row: its first input row and how many rows it has.
uint block_m() { return min(MAX_M, p.m - gl_WorkGroupID.y * MAX_M); }
uint block_in() { return p.in_offset + gl_WorkGroupID.y * MAX_M * p.in_stride; }
uint block_out() { return gl_WorkGroupID.y * MAX_M * p.out_stride; }

// Elements of a row covered by whole vectors: all of k when rows and inputs start on vector
// boundaries, otherwise none (the scalar tail loop then does everything).
uint vector_steps() {
    bool aligned = p.k % VEC == 0u && block_in() % 4u == 0u && p.in_stride % 4u == 0u;
    return aligned ? p.k / VEC : 0u;
}

// Where the two runs of 4 values of step s start in a row (hi unused for F32).
uint step_lo(uint s) {
#if defined(WEIGHT_BLOCKS)
    return (s / UNITS) * QK + unit_lo(s % UNITS);
#else
    return s * VEC;
#endif
}
uint step_hi(uint s) {
#if defined(WEIGHT_BLOCKS)
    return (s / UNITS) * QK + unit_hi(s % UNITS);
#else
    return s * VEC + 4u;
#endif
}

// The weight vector of row `row` at step `s`, as VEC floats in two vec4 (hi unused for F32).
void load_w(uint row, uint s, out vec4 lo, out vec4 hi) {
#if defined(WEIGHT_BLOCKS)
    unit_values(row * p.w_stride + (s / UNITS) * BLOCK_BYTES, s % UNITS, lo, hi);
#elif defined(WEIGHT_F16)
    uvec4 q = w4[row * (p.k / 8u) + s];
    lo = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
    hi = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
#else
    lo = w4[row * (p.k / 4u) + s];
    hi = vec4(0.0);
#endif
}

#define FN rows_one
#define FN_M 1u
#include "matvec_rows.glsl"
#undef FN
#undef FN_M
#define FN rows_many
#define FN_M MAX_M
#include "matvec_rows.glsl"

void main() {
    uint first = gl_WorkGroupID.x * ROWS;
    for (uint r0 = first + gl_SubgroupID * R; r0 < first + ROWS; r0 += gl_NumSubgroups * R) {
        if (r0 >= p.rows) break;  // uniform over the subgroup
        if (block_m() == 1u) rows_one(r0);
        else rows_many(r0);
    }
}
