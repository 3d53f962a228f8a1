#include "model/gguf_reader.h"

#include "model/gguf_parser.h"

namespace kvs {

std::string GgufTensorInfo::shape_text() const {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(dims[i]);
    }
    return s + "]";
}

Result<GgufFile> GgufFile::open(const std::string& path) {
    GgufFile file;
    file.path_ = path;
    KVS_ASSIGN(*file.mapping_, ReadOnlyMapping::open(path));
    GgufParser parser(file);
    KVS_TRY(parser.parse());
    return file;
}

const GgufMetadataEntry* GgufFile::find(std::string_view key) const {
    const auto it = key_index_.find(std::string(key));
    return it == key_index_.end() ? nullptr : &metadata_[it->second];
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    const auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::span<const std::uint8_t> GgufFile::tensor_data(const GgufTensorInfo& t) const {
    return mapping_->bytes().subspan(std::size_t(data_offset_ + t.offset), std::size_t(t.byte_size));
}

Result<const GgufMetadataEntry*> GgufFile::require(std::string_view key) const {
    const GgufMetadataEntry* e = find(key);
    if (e == nullptr) return err(path_, ": missing key '", key, "'");
    return e;
}

Error GgufFile::type_error(const GgufMetadataEntry& e, const char* expected) const {
    std::string actual = to_string(e.value.type());
    if (e.value.type() == GgufValueType::Array)
        actual += std::string(" of ") + to_string(std::get<GgufArray>(e.value.v).element_type);
    return err(path_, ": key '", e.key, "' (at byte ", e.offset, ") is a ", actual, ", expected ", expected);
}

Result<std::int64_t> GgufFile::get_int(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    const auto v = e->value.as_int();
    if (!e->value.is_integer() || !v) return type_error(*e, "an integer");
    return *v;
}

Result<double> GgufFile::get_float(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    const auto v = e->value.as_float();
    if (!v) return type_error(*e, "a number");
    return *v;
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    if (e->value.type() != GgufValueType::Bool) return type_error(*e, "a bool");
    return std::get<bool>(e->value.v);
}

Result<std::string> GgufFile::get_string(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    if (e->value.type() != GgufValueType::String) return type_error(*e, "a string");
    return std::get<std::string>(e->value.v);
}

Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    const auto* arr = std::get_if<GgufArray>(&e->value.v);
    if (arr == nullptr || arr->element_type != GgufValueType::String) return type_error(*e, "an array of string");
    std::vector<std::string> out;
    out.reserve(arr->items.size());
    for (const GgufValue& item : arr->items) out.push_back(std::get<std::string>(item.v));
    return out;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    const auto* arr = std::get_if<GgufArray>(&e->value.v);
    if (arr == nullptr || arr->element_type == GgufValueType::String || arr->element_type == GgufValueType::Array ||
        arr->element_type == GgufValueType::Bool)
        return type_error(*e, "an array of numbers");
    std::vector<float> out;
    out.reserve(arr->items.size());
    for (const GgufValue& item : arr->items) out.push_back(float(*item.as_float()));
    return out;
}

Result<std::vector<std::int64_t>> GgufFile::get_int_array(std::string_view key) const {
    KVS_ASSIGN(const GgufMetadataEntry* e, require(key));
    const auto* arr = std::get_if<GgufArray>(&e->value.v);
    if (arr == nullptr) return type_error(*e, "an array of integers");
    std::vector<std::int64_t> out;
    out.reserve(arr->items.size());
    for (std::size_t i = 0; i < arr->items.size(); ++i) {
        const auto v = arr->items[i].as_int();
        if (!arr->items[i].is_integer() || !v) return type_error(*e, "an array of integers");
        out.push_back(*v);
    }
    return out;
}

Result<std::int64_t> GgufFile::get_int_or(std::string_view key, std::int64_t fallback) const {
    return has(key) ? get_int(key) : Result<std::int64_t>(fallback);
}

Result<double> GgufFile::get_float_or(std::string_view key, double fallback) const {
    return has(key) ? get_float(key) : Result<double>(fallback);
}

Result<bool> GgufFile::get_bool_or(std::string_view key, bool fallback) const {
    return has(key) ? get_bool(key) : Result<bool>(fallback);
}

Result<std::string> GgufFile::get_string_or(std::string_view key, std::string fallback) const {
    return has(key) ? get_string(key) : Result<std::string>(std::move(fallback));
}

}  // namespace kvs
