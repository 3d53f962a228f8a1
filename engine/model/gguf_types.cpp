#include "model/gguf_types.h"

#include <array>
#include <limits>

namespace kvs {

const char* to_string(GgufValueType t) {
    switch (t) {
        case GgufValueType::Uint8: return "uint8";
        case GgufValueType::Int8: return "int8";
        case GgufValueType::Uint16: return "uint16";
        case GgufValueType::Int16: return "int16";
        case GgufValueType::Uint32: return "uint32";
        case GgufValueType::Int32: return "int32";
        case GgufValueType::Float32: return "float32";
        case GgufValueType::Bool: return "bool";
        case GgufValueType::String: return "string";
        case GgufValueType::Array: return "array";
        case GgufValueType::Uint64: return "uint64";
        case GgufValueType::Int64: return "int64";
        case GgufValueType::Float64: return "float64";
    }
    return "unknown";
}

bool GgufValue::is_integer() const {
    switch (type()) {
        case GgufValueType::Uint8:
        case GgufValueType::Int8:
        case GgufValueType::Uint16:
        case GgufValueType::Int16:
        case GgufValueType::Uint32:
        case GgufValueType::Int32:
        case GgufValueType::Uint64:
        case GgufValueType::Int64: return true;
        default: return false;
    }
}

std::optional<std::int64_t> GgufValue::as_int() const {
    return std::visit(
        [](const auto& x) -> std::optional<std::int64_t> {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::uint64_t>) {
                if (x > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
                return std::int64_t(x);
            } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                return std::int64_t(x);
            } else {
                return std::nullopt;
            }
        },
        v);
}

std::optional<double> GgufValue::as_float() const {
    if (is_float()) return type() == GgufValueType::Float32 ? double(std::get<float>(v)) : std::get<double>(v);
    if (auto i = as_int()) return double(*i);
    return std::nullopt;
}

namespace {

struct TypeRow {
    std::uint32_t id;
    GgmlTypeInfo info;
};

// Block layouts of ggml's types (elements per block, bytes per block).
constexpr std::array kGgmlTypes = {
    TypeRow{0, {"F32", 1, 4}},        TypeRow{1, {"F16", 1, 2}},         TypeRow{2, {"Q4_0", 32, 18}},
    TypeRow{3, {"Q4_1", 32, 20}},     TypeRow{6, {"Q5_0", 32, 22}},      TypeRow{7, {"Q5_1", 32, 24}},
    TypeRow{8, {"Q8_0", 32, 34}},     TypeRow{9, {"Q8_1", 32, 36}},      TypeRow{10, {"Q2_K", 256, 84}},
    TypeRow{11, {"Q3_K", 256, 110}},  TypeRow{12, {"Q4_K", 256, 144}},   TypeRow{13, {"Q5_K", 256, 176}},
    TypeRow{14, {"Q6_K", 256, 210}},  TypeRow{15, {"Q8_K", 256, 292}},   TypeRow{16, {"IQ2_XXS", 256, 66}},
    TypeRow{17, {"IQ2_XS", 256, 74}}, TypeRow{18, {"IQ3_XXS", 256, 98}}, TypeRow{19, {"IQ1_S", 256, 50}},
    TypeRow{20, {"IQ4_NL", 32, 18}},  TypeRow{21, {"IQ3_S", 256, 110}},  TypeRow{22, {"IQ2_S", 256, 82}},
    TypeRow{23, {"IQ4_XS", 256, 136}}, TypeRow{24, {"I8", 1, 1}},        TypeRow{25, {"I16", 1, 2}},
    TypeRow{26, {"I32", 1, 4}},       TypeRow{27, {"I64", 1, 8}},        TypeRow{28, {"F64", 1, 8}},
    TypeRow{29, {"IQ1_M", 256, 56}},  TypeRow{30, {"BF16", 1, 2}},       TypeRow{34, {"TQ1_0", 256, 54}},
    TypeRow{35, {"TQ2_0", 256, 66}},
};

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(std::uint32_t type_id) {
    for (const auto& row : kGgmlTypes)
        if (row.id == type_id) return row.info;
    return std::nullopt;
}

std::string ggml_type_name(std::uint32_t type_id) {
    if (auto info = ggml_type_info(type_id)) return info->name;
    return "type " + std::to_string(type_id);
}

}  // namespace kvs
