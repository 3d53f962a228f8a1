#include "model/gguf_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "model/quantize.h"

namespace kvs {

namespace {

template <typename T>
void put(std::vector<std::uint8_t>& out, T v) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
    put<std::uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

void put_value(std::vector<std::uint8_t>& out, const GgufValue& value) {
    std::visit(
        [&out](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string>) {
                put_string(out, x);
            } else if constexpr (std::is_same_v<T, GgufArray>) {
                put<std::uint32_t>(out, std::uint32_t(x.element_type));
                put<std::uint64_t>(out, x.items.size());
                for (const GgufValue& item : x.items) put_value(out, item);
            } else if constexpr (std::is_same_v<T, bool>) {
                put<std::uint8_t>(out, x ? 1 : 0);
            } else {
                put<T>(out, x);
            }
        },
        value.v);
}

void pad_to(std::vector<std::uint8_t>& out, std::size_t alignment) {
    while (out.size() % alignment != 0) out.push_back(0);
}

template <typename T>
GgufValue array_of(GgufValueType type, const std::vector<T>& items) {
    GgufArray arr;
    arr.element_type = type;
    arr.items.reserve(items.size());
    for (const T& x : items) arr.items.push_back(GgufValue{x});
    return GgufValue{std::move(arr)};
}

}  // namespace

std::vector<std::uint8_t> encode_tensor(GgmlType type, std::span<const float> values) {
    std::vector<std::uint8_t> out;
    // Types the engine cannot encode are written with add_raw_tensor.
    if (const auto t = weight_type_from_ggml(std::uint32_t(type))) (void)quantize(*t, values, out);
    return out;
}

void GgufWriter::set_alignment(std::uint32_t alignment) {
    alignment_ = alignment;
    add_u32("general.alignment", alignment);
}

bool GgufWriter::is_omitted(const std::string& name) const {
    return std::find(omitted_.begin(), omitted_.end(), name) != omitted_.end();
}

void GgufWriter::add(const std::string& key, GgufValue value) {
    if (!is_omitted(key)) metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_string_array(const std::string& key, const std::vector<std::string>& items) {
    add(key, array_of(GgufValueType::String, items));
}

void GgufWriter::add_f32_array(const std::string& key, const std::vector<float>& items) {
    add(key, array_of(GgufValueType::Float32, items));
}

void GgufWriter::add_i32_array(const std::string& key, const std::vector<std::int32_t>& items) {
    add(key, array_of(GgufValueType::Int32, items));
}

void GgufWriter::add_tensor(const std::string& name, std::vector<std::int64_t> dims, GgmlType type,
                            std::span<const float> values) {
    std::vector<std::uint64_t> udims(dims.begin(), dims.end());
    add_raw_tensor(name, std::move(udims), std::uint32_t(type), encode_tensor(type, values));
}

void GgufWriter::add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type_id,
                                std::vector<std::uint8_t> bytes) {
    if (!is_omitted(name)) tensors_.push_back(PendingTensor{name, std::move(dims), type_id, std::move(bytes)});
}

std::vector<std::uint8_t> GgufWriter::bytes() const {
    std::vector<std::uint8_t> out;
    put<std::uint32_t>(out, 0x46554747u);  // "GGUF" read as a little-endian uint32
    put<std::uint32_t>(out, version_);
    put<std::uint64_t>(out, tensors_.size());
    put<std::uint64_t>(out, metadata_.size());
    for (const auto& [key, value] : metadata_) {
        put_string(out, key);
        put<std::uint32_t>(out, std::uint32_t(value.type()));
        put_value(out, value);
    }
    // Offsets are relative to the data section; each tensor starts aligned.
    std::uint64_t offset = 0;
    for (const PendingTensor& t : tensors_) {
        put_string(out, t.name);
        put<std::uint32_t>(out, std::uint32_t(t.dims.size()));
        for (std::uint64_t d : t.dims) put<std::uint64_t>(out, d);
        put<std::uint32_t>(out, t.type_id);
        put<std::uint64_t>(out, offset);
        offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
    }
    if (!tensors_.empty()) pad_to(out, alignment_);
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        out.insert(out.end(), tensors_[i].data.begin(), tensors_[i].data.end());
        if (i + 1 < tensors_.size()) pad_to(out, alignment_);  // the last tensor ends the file
    }
    return out;
}

Status write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return err("cannot create '", path, "'");
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!f) return err("cannot write ", bytes.size(), " bytes to '", path, "'");
    return {};
}

Status GgufWriter::write(const std::string& path) const { return write_file(path, bytes()); }

}  // namespace kvs
