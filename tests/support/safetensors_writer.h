#pragma once
// Builds .safetensors files for loader tests: tensors are added as F32 values and stored as
// F32, F16 or BF16. The header is exposed as JSON so that broken-file tests can alter it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"

namespace kvs::test {

struct SafetensorsBlob {
    nlohmann::json header;  // name -> {dtype, shape, data_offsets}, plus "__metadata__"
    std::string data;       // the bytes after the header
};

class SafetensorsBuilder {
public:
    // shape outermost first; values.size() must equal the product of shape.
    void add(const std::string& name, const std::vector<std::int64_t>& shape, const std::vector<float>& values,
             const std::string& dtype = "F32");
    const SafetensorsBlob& blob() const { return blob_; }

private:
    SafetensorsBlob blob_{nlohmann::json{{"__metadata__", {{"format", "pt"}}}}, {}};
};

// Writes length + header + data. The header is padded with spaces to a multiple of 8 bytes,
// as the reference writer does.
Status write_safetensors(const std::string& path, const SafetensorsBlob& blob);

}  // namespace kvs::test
