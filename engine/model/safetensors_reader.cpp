#include "model/safetensors_reader.h"

#include <cstring>
#include <limits>

#include "model/dtype_convert.h"
#include "model/json_file.h"

namespace kvs {

using nlohmann::json;

namespace {

// Headers are small (a few MB for the largest checkpoints); a bigger length is garbage.
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

Result<SafetensorsTensor> parse_entry(const std::string& path, const std::string& name, const json& entry,
                                      std::span<const std::uint8_t> data) {
    const std::string where = "'" + path + "': tensor '" + name + "'";
    if (!entry.is_object()) return err(where, " is ", json_brief(entry), ", expected an object");
    SafetensorsTensor t;
    t.name = name;
    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) return err(where, " has no string 'dtype'");
    t.dtype = dtype->get<std::string>();
    const int elem = safetensors_dtype_size(t.dtype);
    if (elem == 0) return err(where, " has unknown dtype '", t.dtype, "'");

    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) return err(where, " has no 'shape' array");
    std::int64_t count = 1;
    for (const json& d : *shape) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > (std::int64_t(1) << 40))
            return err(where, " has shape ", json_brief(*shape), ", expected non-negative integers");
        t.shape.push_back(d.get<std::int64_t>());
        count *= t.shape.back();
        if (count > (std::int64_t(1) << 40)) return err(where, " has shape ", json_brief(*shape), ": too many elements");
    }

    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
        return err(where, " has no 'data_offsets' pair of non-negative integers");
    const std::uint64_t begin = (*offsets)[0].get<std::uint64_t>(), end = (*offsets)[1].get<std::uint64_t>();
    if (begin > end || end > data.size())
        return err(where, " has data_offsets [", begin, ", ", end, "] past the end of the data (", data.size(),
                   " bytes after the header): the file is truncated or corrupt");
    const std::uint64_t need = std::uint64_t(count) * std::uint64_t(elem);
    if (end - begin != need)
        return err(where, " has data_offsets [", begin, ", ", end, "] holding ", end - begin, " bytes, but ", t.dtype,
                   " ", t.shape_text(), " needs ", need);
    t.bytes = data.subspan(begin, end - begin);
    return t;
}

}  // namespace

std::int64_t SafetensorsTensor::element_count() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    return n;
}

std::string SafetensorsTensor::shape_text() const {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

int safetensors_dtype_size(const std::string& dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
    if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
    return 0;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    SafetensorsFile f;
    f.path_ = path;
    KVS_ASSIGN(*f.mapping_, ReadOnlyMapping::open(path));
    const auto bytes = f.mapping_->bytes();
    if (bytes.size() < 8)
        return err("'", path, "' is truncated: ", bytes.size(), " bytes, a safetensors file starts with an 8-byte header length");
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data(), 8);  // little-endian, as are all supported hosts
    if (header_len > bytes.size() - 8)
        return err("'", path, "': the header length ", header_len, " runs past the end of the file (",
                   bytes.size() - 8, " bytes follow the length field)");
    if (header_len > kMaxHeaderBytes) return err("'", path, "': header length ", header_len, " is implausibly large");
    const std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), std::size_t(header_len));
    KVS_ASSIGN(const json j, parse_json_text(header, "'" + path + "' header"));
    if (!j.is_object()) return err("'", path, "': the header is ", j.type_name(), ", expected a JSON object");
    const auto data = bytes.subspan(8 + std::size_t(header_len));
    for (const auto& [name, entry] : j.items()) {
        if (name == "__metadata__") continue;
        KVS_ASSIGN(SafetensorsTensor t, parse_entry(path, name, entry, data));
        f.tensors_.emplace(name, std::move(t));
    }
    return f;
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

Result<std::vector<float>> safetensors_to_f32(const SafetensorsTensor& t, const std::string& path) {
    const std::size_t n = std::size_t(t.element_count());
    std::vector<float> out(n);
    const std::uint8_t* src = t.bytes.data();
    if (t.dtype == "F32") {
        std::memcpy(out.data(), src, n * 4);
    } else if (t.dtype == "F16" || t.dtype == "BF16") {
        const bool half = t.dtype == "F16";
        for (std::size_t i = 0; i < n; ++i) {
            std::uint16_t v;
            std::memcpy(&v, src + 2 * i, 2);
            out[i] = half ? f16_to_f32(v) : bf16_to_f32(v);
        }
    } else {
        return err("'", path, "': tensor '", t.name, "' has dtype ", t.dtype, ", expected F32, F16 or BF16");
    }
    return out;
}

}  // namespace kvs
