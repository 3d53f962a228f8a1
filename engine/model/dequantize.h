#pragma once
// The reference decoding of every WeightType to F32. For the ggml block types the arithmetic is
// ggml's own, operation for operation (which product is formed first, where the min is
// subtracted), so the results equal ggml's dequantizer bit for bit; the CPU kernels and the
// Vulkan shaders are checked against these functions.
#include <cstdint>

#include "model/weight_type.h"

namespace kvs {

// Decodes n values stored as `type` starting at a block boundary; n must be a whole number of
// blocks.
void dequantize(WeightType type, const std::uint8_t* src, std::int64_t n, float* dst);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block from its 12 scale bytes:
// sub-blocks 0-3 keep theirs in the low 6 bits of bytes j and j+4; sub-blocks 4-7 combine a
// nibble of byte j+4 with the top two bits of bytes j-4 (scale) and j (min).
void k_quant_scale_min(int j, const std::uint8_t* scales, std::uint8_t& scale, std::uint8_t& min);
// The signed 6-bit scale of sub-block j (0..15) of a Q3_K block from its 12 scale bytes: the
// low nibble is byte j (j < 8) or the high nibble of byte j-8, the top two bits come from byte
// 8 + j % 4 at bit 2 * (j / 4); the stored value is offset by 32.
int q3_k_scale(int j, const std::uint8_t* scales);

}  // namespace kvs
