#pragma once
// Writes GGUF files (kvscope-cli write-model, and the tests): metadata of every value type,
// tensors stored in any type model/quantize.h writes (converted from floats) or as raw bytes with
// any declared shape and type id, so that both well-formed and deliberately broken files can be
// produced.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/gguf_types.h"

namespace kvs {

class GgufWriter {
public:
    explicit GgufWriter(std::uint32_t version = 3) : version_(version) {}

    // Sets the data alignment and records it as general.alignment (uint32).
    void set_alignment(std::uint32_t alignment);

    void add(const std::string& key, GgufValue value);
    void add_u32(const std::string& key, std::uint32_t v) { add(key, GgufValue{v}); }
    void add_i32(const std::string& key, std::int32_t v) { add(key, GgufValue{v}); }
    void add_f32(const std::string& key, float v) { add(key, GgufValue{v}); }
    void add_bool(const std::string& key, bool v) { add(key, GgufValue{v}); }
    void add_string(const std::string& key, std::string v) { add(key, GgufValue{std::move(v)}); }
    void add_string_array(const std::string& key, const std::vector<std::string>& items);
    void add_f32_array(const std::string& key, const std::vector<float>& items);
    void add_i32_array(const std::string& key, const std::vector<std::int32_t>& items);

    // A tensor of `dims` (ggml order: dims[0] varies fastest) converted from F32 values to
    // `type` (any type model/quantize.h writes).
    void add_tensor(const std::string& name, std::vector<std::int64_t> dims, GgmlType type,
                    std::span<const float> values);
    // A tensor whose declared shape and type are written as given, followed by `bytes`
    // (which need not match: that is how broken files are made).
    void add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type_id,
                        std::vector<std::uint8_t> bytes);

    // Later add* calls for this key or tensor name are ignored (to write incomplete files).
    void omit(const std::string& key_or_tensor) { omitted_.push_back(key_or_tensor); }

    std::vector<std::uint8_t> bytes() const;
    Status write(const std::string& path) const;

private:
    struct PendingTensor {
        std::string name;
        std::vector<std::uint64_t> dims;
        std::uint32_t type_id;
        std::vector<std::uint8_t> data;
    };
    std::uint32_t version_;
    std::uint32_t alignment_ = 32;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::vector<PendingTensor> tensors_;
    std::vector<std::string> omitted_;

    bool is_omitted(const std::string& name) const;
};

// F32 values encoded as a ggml type (model/quantize.h; block types need whole blocks).
std::vector<std::uint8_t> encode_tensor(GgmlType type, std::span<const float> values);

// Writes whole-file bytes (for tests that corrupt a file before reading it).
Status write_file(const std::string& path, std::span<const std::uint8_t> bytes);

}  // namespace kvs
