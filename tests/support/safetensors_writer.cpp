#include "safetensors_writer.h"

#include <cstring>
#include <fstream>

#include "model/dtype_convert.h"

namespace kvs::test {

void SafetensorsBuilder::add(const std::string& name, const std::vector<std::int64_t>& shape,
                             const std::vector<float>& values, const std::string& dtype) {
    const std::size_t begin = blob_.data.size();
    for (float v : values) {
        if (dtype == "F32") {
            char b[4];
            std::memcpy(b, &v, 4);
            blob_.data.append(b, 4);
        } else {
            std::uint16_t h;
            if (dtype == "F16") {
                h = f32_to_f16(v);
            } else {  // BF16, rounded to nearest even
                std::uint32_t bits;
                std::memcpy(&bits, &v, 4);
                h = std::uint16_t((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
            }
            char b[2];
            std::memcpy(b, &h, 2);
            blob_.data.append(b, 2);
        }
    }
    blob_.header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, blob_.data.size()}}};
}

Status write_safetensors(const std::string& path, const SafetensorsBlob& blob) {
    std::string header = blob.header.dump();
    header.append((8 - header.size() % 8) % 8, ' ');
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return err("cannot write '", path, "'");
    const std::uint64_t n = header.size();
    f.write(reinterpret_cast<const char*>(&n), 8);
    f.write(header.data(), std::streamsize(header.size()));
    f.write(blob.data.data(), std::streamsize(blob.data.size()));
    if (!f) return err("write to '", path, "' failed");
    return {};
}

}  // namespace kvs::test
