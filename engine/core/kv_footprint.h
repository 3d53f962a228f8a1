#pragma once
// KV cache memory as a formula: 2 (K and V) x layers x kv_heads x head_dim x tokens x batch x
// bytes per element. Covers the storage types people quote, including block-quantized ones.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kvs {

// How one cached value is stored. Block formats store `block_elements` values in `block_bytes`
// (q8_0: 32 int8 values and one f16 scale = 34 bytes); blocks run along head_dim.
struct KvStorageType {
    std::string name;  // "f16"
    int block_bytes = 2;
    int block_elements = 1;
    std::string description;

    double bytes_per_element() const { return double(block_bytes) / block_elements; }
};

// f32, f16, bf16, q8_0, fp8, int4 (packed 4-bit values, no scales).
const std::vector<KvStorageType>& kv_storage_types();
// The type called `name`; the error lists the valid names.
Result<KvStorageType> find_kv_storage_type(std::string_view name);

struct KvShape {
    int n_layers = 0;
    int n_kv_heads = 0;
    int head_dim = 0;
};

struct KvFootprint {
    std::int64_t bytes_per_head_row = 0;  // one (layer, K|V, kv_head, position): head_dim values
    std::int64_t bytes_per_token = 0;     // one position of one sequence, all layers, K and V
    std::int64_t total_bytes = 0;         // tokens x batch positions
    std::string formula;                  // "2 × 32 layers × ... = 2,147,483,648 bytes"
};

// Validates the numbers (all positive) and fills in the formula.
Result<KvFootprint> kv_footprint(const KvShape& shape, std::int64_t tokens, int batch, const KvStorageType& type);

// "2,147,483,648"
std::string group_thousands(std::int64_t n);
// Binary units (KiB, MiB, GiB, TiB) and decimal units (kB, MB, GB, TB), two decimals.
std::string format_binary_bytes(double bytes);
std::string format_decimal_bytes(double bytes);

}  // namespace kvs
