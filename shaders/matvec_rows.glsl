// One subgroup's R weight rows from r0 against FN_M inputs (FN_M = 1 for decode, MAX_M for
// blocks of block_m() rows): included by matvec.comp once per FN_M so that the accumulators are
// fixed-size arrays in registers. Inputs past block_m() repeat the last one (no branches in the
// loop); their sums are not stored, and neither are rows past p.rows (their loads are clamped
// to the last row).
void FN(uint r0) {
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    uint row[R];
    [[unroll]] for (uint t = 0u; t < R; ++t) row[t] = min(r0 + t, p.rows - 1u);
    uint xrow[FN_M];
    [[unroll]] for (uint i = 0u; i < FN_M; ++i) xrow[i] = block_in() + min(i, block_m() - 1u) * p.in_stride;
    float acc[R][FN_M];
    [[unroll]] for (uint t = 0u; t < R; ++t)
        [[unroll]] for (uint i = 0u; i < FN_M; ++i) acc[t][i] = 0.0;

    uint steps = vector_steps();
    for (uint s = lane; s < steps; s += lanes) {
        vec4 xlo[FN_M], xhi[FN_M];
        [[unroll]] for (uint i = 0u; i < FN_M; ++i) {
            xlo[i] = x4[(xrow[i] + step_lo(s)) / 4u];
#ifdef WIDE
            xhi[i] = x4[(xrow[i] + step_hi(s)) / 4u];
#endif
        }
        [[unroll]] for (uint t = 0u; t < R; ++t) {
            vec4 wlo, whi;
            load_w(row[t], s, wlo, whi);
            [[unroll]] for (uint i = 0u; i < FN_M; ++i) {
                acc[t][i] += dot(xlo[i], wlo);
#ifdef WIDE
                acc[t][i] += dot(xhi[i], whi);
#endif
            }
        }
    }
    for (uint e = steps * VEC + lane; e < p.k; e += lanes) {
        [[unroll]] for (uint t = 0u; t < R; ++t) {
            float wv = WEIGHT_AT(row[t], e);
            [[unroll]] for (uint i = 0u; i < FN_M; ++i) acc[t][i] += x[xrow[i] + e] * wv;
        }
    }

    [[unroll]] for (uint t = 0u; t < R; ++t) {
        [[unroll]] for (uint i = 0u; i < FN_M; ++i) {
            float sum = subgroupAdd(acc[t][i]);
            if (subgroupElect() && r0 + t < p.rows && i < block_m())
                y[block_out() + i * p.out_stride + p.out_col0 + r0 + t] = sum;
        }
    }
}
