#pragma once
// The value and tensor types of the GGUF container (ggml's model file format).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kvs {

// Metadata value types, numbered as in the file.
enum class GgufValueType : std::uint32_t {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
};
inline constexpr std::uint32_t kGgufValueTypeCount = 13;
const char* to_string(GgufValueType t);

struct GgufValue;

// An array holds values of one element type (arrays of arrays are legal, if rare).
struct GgufArray {
    GgufValueType element_type = GgufValueType::Uint8;
    std::vector<GgufValue> items;
};

// The alternatives are listed in GgufValueType order, so index() == the type id.
using GgufScalar = std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t,
                                std::int32_t, float, bool, std::string, GgufArray, std::uint64_t,
                                std::int64_t, double>;

struct GgufValue {
    GgufScalar v;

    GgufValueType type() const { return GgufValueType(v.index()); }
    bool is_integer() const;
    bool is_float() const { return type() == GgufValueType::Float32 || type() == GgufValueType::Float64; }
    // Integer value widened to int64 (uint64 above INT64_MAX does not fit: nullopt).
    std::optional<std::int64_t> as_int() const;
    std::optional<double> as_float() const;  // floats, and integers converted
};

// ggml tensor element types, numbered as in the file. Only the ones the loaders convert are
// named here; the reader knows the block sizes of every type listed in ggml_type_info().
enum class GgmlType : std::uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
};

struct GgmlTypeInfo {
    const char* name;
    int block_size;  // elements per block
    int type_size;   // bytes per block
};

// The layout of a ggml type id, or nullopt for ids this reader does not know.
std::optional<GgmlTypeInfo> ggml_type_info(std::uint32_t type_id);
// "Q8_0", or "type 99" for unknown ids.
std::string ggml_type_name(std::uint32_t type_id);

}  // namespace kvs
