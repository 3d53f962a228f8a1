#pragma once
// One .safetensors file: an 8-byte little-endian header length, a JSON header mapping tensor
// names to {dtype, shape, data_offsets}, then the raw tensor bytes. The file is mapped and
// every entry is checked against the file size when it is opened, so later reads cannot
// run past the end.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/read_only_mapping.h"
#include "core/result.h"

namespace kvs {

struct SafetensorsTensor {
    std::string name;
    std::string dtype;                 // "F32", "F16", "BF16", "I64", ...
    std::vector<std::int64_t> shape;   // outermost first (PyTorch order)
    std::span<const std::uint8_t> bytes;

    std::int64_t element_count() const;
    std::string shape_text() const;    // "[27, 64]"
};

class SafetensorsFile {
public:
    static Result<SafetensorsFile> open(const std::string& path);

    const std::string& path() const { return path_; }
    const SafetensorsTensor* find(const std::string& name) const;
    const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
    // The file's mapping, shared with tensors used in place (it outlives this object).
    std::shared_ptr<const ReadOnlyMapping> mapping() const { return mapping_; }

private:
    std::string path_;
    std::shared_ptr<ReadOnlyMapping> mapping_ = std::make_shared<ReadOnlyMapping>();
    std::map<std::string, SafetensorsTensor> tensors_;
};

// Bytes per element of a safetensors dtype, or 0 for a name the format does not define.
int safetensors_dtype_size(const std::string& dtype);

// The tensor's values as F32 (from F32, F16 or BF16; other dtypes give an error).
Result<std::vector<float>> safetensors_to_f32(const SafetensorsTensor& t, const std::string& path);

}  // namespace kvs
