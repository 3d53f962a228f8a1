#version 450
// out[r, c] = w[r, c] for a [rows, k] weight matrix as stored on the device: the reads the
// other shaders make, exposed for checking them bit for bit against the CPU reference decoder.
// by_unit = 1 decodes whole units of 8 values as matvec.comp does (block types only); 0 reads
// value by value as matmul.comp and embed.comp do.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows;
    uint k;
    uint w_stride;  // bytes between weight rows (block types)
    uint by_unit;
} p;

layout(binding = 0) readonly buffer W { WEIGHT_T w[]; };
layout(binding = 1) writeonly buffer Out { float y[]; };
#if defined(WEIGHT_BLOCKS)
#include "block_layout.glsl"
#define WEIGHT_AT(row, col) block_weight(row, col, p.w_stride)
#else
#define WEIGHT_AT(row, col) LOAD_WEIGHT(w, (row) * p.k + (col))
#endif

void main() {
    uint idx = flat_group() * 64u + gl_LocalInvocationID.x;
#if defined(WEIGHT_BLOCKS)
    if (p.by_unit != 0u) {
        uint per_row = p.k / 8u;
        if (idx >= p.rows * per_row) return;
        uint row = idx / per_row, s = idx % per_row;
        uint block = s / UNITS, u = s % UNITS;
        vec4 lo, hi;
        unit_values(row * p.w_stride + block * BLOCK_BYTES, u, lo, hi);
        uint first = row * p.k + block * QK;
        for (uint j = 0u; j < 4u; ++j) {
            y[first + unit_lo(u) + j] = lo[j];
            y[first + unit_hi(u) + j] = hi[j];
        }
        return;
    }
#endif
    if (idx >= p.rows * p.k) return;
    y[idx] = WEIGHT_AT(idx / p.k, idx % p.k);
}
