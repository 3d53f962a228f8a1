#pragma once
// Parses the header, metadata and tensor table of a mapped GGUF file into a GgufFile.
// Internal to the GGUF reader; every read is bounds-checked against the file size.
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"
#include "model/gguf_reader.h"

namespace kvs {

class GgufParser {
public:
    explicit GgufParser(GgufFile& file);
    Status parse();

private:
    Status read_header(std::uint64_t& n_tensors, std::uint64_t& n_kv);
    Status read_metadata(std::uint64_t n_kv);
    Status read_value(GgufValueType type, const std::string& key, int depth, GgufValue& out);
    Status read_array(const std::string& key, int depth, GgufValue& out);
    Status apply_alignment();
    Status read_tensor_infos(std::uint64_t n_tensors);
    Status read_tensor_info(std::uint64_t index, GgufTensorInfo& t);
    Status check_tensor_extents();

    // Bounded reads: each fails with the file, the byte offset and what was being read.
    Status need(std::uint64_t n, const std::string& what);
    template <typename T>
    Status read_pod(T& out, const std::string& what);
    Status read_string(std::string& out, std::uint64_t max_length, const std::string& what);
    std::uint64_t remaining() const { return bytes_.size() - pos_; }

    GgufFile& file_;
    std::span<const std::uint8_t> bytes_;
    std::uint64_t pos_ = 0;
};

}  // namespace kvs
