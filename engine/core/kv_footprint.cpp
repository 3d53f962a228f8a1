#include "core/kv_footprint.h"

#include <cstdio>

namespace kvs {

const std::vector<KvStorageType>& kv_storage_types() {
    static const std::vector<KvStorageType> types = {
        {"f32", 4, 1, "32-bit float"},
        {"f16", 2, 1, "16-bit IEEE half"},
        {"bf16", 2, 1, "16-bit bfloat"},
        {"q8_0", 34, 32, "blocks of 32 int8 values with one f16 scale (8.5 bits per value)"},
        {"fp8", 1, 1, "8-bit float (e4m3 / e5m2)"},
        {"int4", 1, 2, "4-bit integers, two per byte; scales not counted"},
    };
    return types;
}

Result<KvStorageType> find_kv_storage_type(std::string_view name) {
    std::string valid;
    for (const auto& t : kv_storage_types()) {
        if (t.name == name) return t;
        valid += (valid.empty() ? "" : ", ") + t.name;
    }
    return err("unknown KV dtype '", name, "'; valid: ", valid);
}

Result<KvFootprint> kv_footprint(const KvShape& s, std::int64_t tokens, int batch, const KvStorageType& type) {
    auto positive = [](const char* what, std::int64_t v) -> Status {
        if (v <= 0) return err("KV size: ", what, " must be positive, got ", v);
        return {};
    };
    KVS_TRY(positive("layers", s.n_layers));
    KVS_TRY(positive("kv_heads", s.n_kv_heads));
    KVS_TRY(positive("head_dim", s.head_dim));
    KVS_TRY(positive("tokens", tokens));
    KVS_TRY(positive("batch", batch));
    KVS_TRY(positive("block elements", type.block_elements));
    KvFootprint f;
    // A head row of a block format is padded to whole blocks.
    const std::int64_t blocks = (std::int64_t(s.head_dim) + type.block_elements - 1) / type.block_elements;
    f.bytes_per_head_row = blocks * type.block_bytes;
    f.bytes_per_token = 2LL * s.n_layers * s.n_kv_heads * f.bytes_per_head_row;
    f.total_bytes = f.bytes_per_token * tokens * batch;

    char bytes[32];
    if (type.block_elements == 1) std::snprintf(bytes, sizeof bytes, "%d", type.block_bytes);
    else std::snprintf(bytes, sizeof bytes, "%g", type.bytes_per_element());
    f.formula = "2 × " + std::to_string(s.n_layers) + " layers × " + std::to_string(s.n_kv_heads) + " kv_heads × " +
                std::to_string(s.head_dim) + " head_dim × " + group_thousands(tokens) + " tokens × " +
                std::to_string(batch) + " batch × " + bytes + " bytes (" + type.name +
                ") = " + group_thousands(f.total_bytes) + " bytes";
    return f;
}

std::string group_thousands(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

namespace {
std::string format_units(double bytes, double base, const char* const* units, int n_units) {
    int u = 0;
    while (u + 1 < n_units && bytes >= base) {
        bytes /= base;
        ++u;
    }
    char buf[48];
    if (u == 0) std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[0]);
    else std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
    return buf;
}
}  // namespace

std::string format_binary_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    return format_units(bytes, 1024.0, units, 5);
}

std::string format_decimal_bytes(double bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB"};
    return format_units(bytes, 1000.0, units, 5);
}

}  // namespace kvs
