#include "model/weight_type.h"

#include <array>
#include <cctype>

namespace kvs {

namespace {

// In WeightType order. Block layouts are ggml's (ggml-common.h): the byte counts follow from
// the fields listed beside each type in weight_type.h.
constexpr std::array<WeightTypeInfo, kWeightTypeCount> kInfo = {{
    {"F32", 1, 4, 0},
    {"F16", 1, 2, 1},
    {"BF16", 1, 2, 30},
    {"Q8_0", 32, 34, 8},
    {"Q4_0", 32, 18, 2},
    {"Q4_1", 32, 20, 3},
    {"Q5_0", 32, 22, 6},
    {"Q5_1", 32, 24, 7},
    {"Q2_K", 256, 84, 10},   // 16 scale bytes, 64 quant bytes, f16 d and dmin
    {"Q3_K", 256, 110, 11},  // 32 high-bit bytes, 64 quant bytes, 12 scale bytes, f16 d
    {"Q4_K", 256, 144, 12},  // f16 d and dmin, 12 scale bytes, 128 quant bytes
    {"Q5_K", 256, 176, 13},  // f16 d and dmin, 12 scale bytes, 32 high-bit bytes, 128 quant bytes
    {"Q6_K", 256, 210, 14},  // 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d
}};

}  // namespace

const WeightTypeInfo& weight_type_info(WeightType t) { return kInfo[std::size_t(t)]; }

double bytes_per_value(WeightType t) {
    const WeightTypeInfo& i = weight_type_info(t);
    return double(i.block_bytes) / double(i.block_values);
}

std::int64_t row_bytes(WeightType t, std::int64_t cols) {
    const WeightTypeInfo& i = weight_type_info(t);
    return cols / i.block_values * i.block_bytes;
}

bool fits_rows(WeightType t, std::int64_t cols) { return cols > 0 && cols % weight_type_info(t).block_values == 0; }

std::optional<WeightType> weight_type_from_ggml(std::uint32_t ggml_id) {
    for (std::size_t i = 0; i < kInfo.size(); ++i)
        if (kInfo[i].ggml_id == ggml_id) return WeightType(i);
    return std::nullopt;
}

std::optional<WeightType> weight_type_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kInfo.size(); ++i) {
        const std::string_view n = kInfo[i].name;
        if (n.size() != name.size()) continue;
        bool same = true;
        for (std::size_t c = 0; c < n.size() && same; ++c)
            same = std::toupper(static_cast<unsigned char>(name[c])) == static_cast<unsigned char>(n[c]);
        if (same) return WeightType(i);
    }
    return std::nullopt;
}

std::string weight_type_list() {
    std::string out;
    for (const WeightTypeInfo& i : kInfo) {
        if (!out.empty()) out += ", ";
        out += i.name;
    }
    return out;
}

}  // namespace kvs
