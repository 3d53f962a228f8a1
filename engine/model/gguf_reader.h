#pragma once
// Reads a GGUF file (versions 2 and 3, little-endian): its metadata and the table of its
// tensors, checked against the file size before anything is trusted. Tensor bytes stay in a
// read-only mapping of the file and are handed out as spans.
#include <cstdint>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/read_only_mapping.h"
#include "core/result.h"
#include "model/gguf_types.h"

namespace kvs {

struct GgufTensorInfo {
    std::string name;
    std::vector<std::int64_t> dims;  // ggml order: dims[0] (ne[0]) varies fastest
    std::uint32_t type_id = 0;       // a GgmlType value
    std::uint64_t offset = 0;        // from the start of the data section
    std::uint64_t byte_size = 0;
    std::int64_t element_count = 0;
    std::uint64_t info_offset = 0;   // where its entry starts in the file (for messages)

    GgmlType type() const { return GgmlType(type_id); }
    std::string shape_text() const;  // "[64, 512]" in ggml order
};

struct GgufMetadataEntry {
    std::string key;
    GgufValue value;
    std::uint64_t offset = 0;  // where the entry starts in the file
};

class GgufFile {
public:
    // Limits beyond which a file is treated as corrupt rather than trusted.
    static constexpr std::uint64_t kMaxKeyLength = 1u << 16;
    static constexpr std::uint64_t kMaxStringLength = 1u << 28;
    static constexpr int kMaxArrayNesting = 8;
    static constexpr std::uint32_t kMaxDims = 4;
    static constexpr std::uint32_t kDefaultAlignment = 32;

    static Result<GgufFile> open(const std::string& path);

    const std::string& path() const { return path_; }
    std::uint32_t version() const { return version_; }
    std::uint64_t alignment() const { return alignment_; }
    std::uint64_t data_offset() const { return data_offset_; }  // aligned start of tensor data
    std::uint64_t file_size() const { return mapping_->size(); }
    // The file's mapping, shared with tensors used in place (it outlives this object).
    std::shared_ptr<const ReadOnlyMapping> mapping() const { return mapping_; }

    const std::vector<GgufMetadataEntry>& metadata() const { return metadata_; }
    const GgufMetadataEntry* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // Typed getters: "missing key" when absent, a type error naming both types when the value
    // has another type. Integer getters accept any integer type that holds the value.
    Result<std::int64_t> get_int(std::string_view key) const;
    Result<double> get_float(std::string_view key) const;  // float32/float64 (or an integer)
    Result<bool> get_bool(std::string_view key) const;
    Result<std::string> get_string(std::string_view key) const;
    Result<std::vector<std::string>> get_string_array(std::string_view key) const;
    Result<std::vector<float>> get_float_array(std::string_view key) const;
    Result<std::vector<std::int64_t>> get_int_array(std::string_view key) const;
    // The same, with a fallback when the key is absent (a present key of the wrong type is
    // still an error).
    Result<std::int64_t> get_int_or(std::string_view key, std::int64_t fallback) const;
    Result<double> get_float_or(std::string_view key, double fallback) const;
    Result<bool> get_bool_or(std::string_view key, bool fallback) const;
    Result<std::string> get_string_or(std::string_view key, std::string fallback) const;

    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
    const GgufTensorInfo* find_tensor(std::string_view name) const;
    // The bytes of a tensor of this file (bounds were checked when the file was opened).
    std::span<const std::uint8_t> tensor_data(const GgufTensorInfo& t) const;

private:
    friend class GgufParser;
    Result<const GgufMetadataEntry*> require(std::string_view key) const;
    Error type_error(const GgufMetadataEntry& e, const char* expected) const;

    std::string path_;
    std::shared_ptr<ReadOnlyMapping> mapping_ = std::make_shared<ReadOnlyMapping>();
    std::uint32_t version_ = 0;
    std::uint64_t alignment_ = kDefaultAlignment;
    std::uint64_t data_offset_ = 0;
    std::vector<GgufMetadataEntry> metadata_;
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string, std::size_t> key_index_;
    std::unordered_map<std::string, std::size_t> tensor_index_;
};

}  // namespace kvs
