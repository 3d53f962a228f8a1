#pragma once
// Dot products of one weight row stored in its file type with an F32 vector: the inner loop of
// the quantized matrix-vector product. The blocks are decoded in registers as they are read, so
// a Q4_0 row costs 0.56 bytes of memory traffic per value instead of 4. AVX2/FMA/F16C versions
// are chosen at run time when the processor has them (binaries stay portable); otherwise each
// block is decoded with the reference decoder (model/dequantize.h) and multiplied in F32.
#include <cstdint>

#include "model/weight_type.h"

namespace kvs::cpu {

// sum over i < cols of W[i] * x[i], W a row of `cols` values stored as `type` (cols a whole
// number of blocks). allow_avx2 = false gives the portable version (tests check both).
using RowDot = float (*)(const std::uint8_t* row, const float* x, int cols);
RowDot row_dot(WeightType type, bool allow_avx2 = true);

// y[i] += a * x[i] for i < n, F32: the weighted sum of value rows in attention. AVX2/FMA when
// the row dots use it.
using RowAxpy = void (*)(float a, const float* x, float* y, int n);
RowAxpy f32_axpy();

// The instruction set the row dots use: "AVX2+FMA" or "SSE2".
const char* row_dot_isa();

// Whether the AVX2 versions are in use (false: the processor lacks AVX2, FMA or F16C, or
// KVSCOPE_NO_AVX2 is set in the environment).
bool row_dot_uses_avx2();

}  // namespace kvs::cpu
