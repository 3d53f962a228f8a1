#pragma once
// How a weight matrix is stored: plain floats (F32, F16, BF16) or one of ggml's block
// quantizations. A row of `cols` values is cols / block_values blocks of block_bytes bytes each;
// the blocks are ggml's, byte for byte (docs/QUANTIZATION.md), so GGUF tensors are used as they
// are stored, without conversion.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvs {

enum class WeightType : std::uint8_t {
    F32,
    F16,
    BF16,
    Q8_0,  // 32 values: f16 scale, 32 int8
    Q4_0,  // 32 values: f16 scale, 16 bytes of nibbles, value (q - 8) * d
    Q4_1,  // 32 values: f16 scale and min, 16 bytes of nibbles, value q * d + m
    Q5_0,  // 32 values: f16 scale, 4 bytes of fifth bits, 16 bytes of nibbles, (q - 16) * d
    Q5_1,  // 32 values: f16 scale and min, fifth bits, nibbles, q * d + m
    Q2_K,  // 256 values: 16 sub-blocks of 16 with 4-bit scales and mins, 2-bit quants
    Q3_K,  // 256 values: 16 sub-blocks of 16 with 6-bit signed scales, 3-bit quants
    Q4_K,  // 256 values: 8 sub-blocks of 32 with 6-bit scales and mins, 4-bit quants
    Q5_K,  // 256 values: as Q4_K with a fifth bit per quant
    Q6_K,  // 256 values: 16 sub-blocks of 16 with int8 scales, 6-bit quants
};
inline constexpr int kWeightTypeCount = 13;

struct WeightTypeInfo {
    const char* name;        // "Q4_K": ggml's spelling
    int block_values;        // values per block (1 for plain types)
    int block_bytes;         // bytes per block
    std::uint32_t ggml_id;   // the GGUF tensor type id
};

const WeightTypeInfo& weight_type_info(WeightType t);
inline const char* to_string(WeightType t) { return weight_type_info(t).name; }
inline bool is_quantized(WeightType t) { return weight_type_info(t).block_values > 1; }
// Average bytes per value: 4 for F32, 0.5625 for Q4_0 (18 bytes per 32 values).
double bytes_per_value(WeightType t);

// Bytes of a row of `cols` values; cols must be a multiple of the block size.
std::int64_t row_bytes(WeightType t, std::int64_t cols);
// Whether rows of `cols` values can be stored in this type (a whole number of blocks).
bool fits_rows(WeightType t, std::int64_t cols);

// The type of a GGUF tensor type id, or nullopt for types this engine does not compute with.
std::optional<WeightType> weight_type_from_ggml(std::uint32_t ggml_id);
// "q4_0", "Q4_0", "f16", ... (case-insensitive), or nullopt.
std::optional<WeightType> weight_type_from_name(std::string_view name);
// "F32, F16, BF16, Q8_0, ..." for messages.
std::string weight_type_list();

}  // namespace kvs
