#pragma once
// Encoding of F32 values into the block types, for writing models (kvscope-cli write-model,
// tests). Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 follow ggml's reference quantizers (same scale rule,
// same rounding); the K types use a plain min/max fit per sub-block (no search over scales),
// which gives valid blocks of slightly lower quality than llama.cpp's quantizer.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "model/weight_type.h"

namespace kvs {

// Appends the encoding of `values` (a whole number of blocks for block types) to `out`.
Status quantize(WeightType type, std::span<const float> values, std::vector<std::uint8_t>& out);

// F32 to BF16 with round-to-nearest-even.
std::uint16_t f32_to_bf16(float f);

}  // namespace kvs
