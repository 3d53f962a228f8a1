#include "model/gguf_parser.h"

#include <cstring>
#include <limits>

namespace kvs {

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Smallest encoded size of one array element of a type, so that an element count can be
// checked against the bytes left before anything is allocated.
std::uint64_t min_encoded_size(GgufValueType t) {
    switch (t) {
        case GgufValueType::Uint8:
        case GgufValueType::Int8:
        case GgufValueType::Bool: return 1;
        case GgufValueType::Uint16:
        case GgufValueType::Int16: return 2;
        case GgufValueType::Uint32:
        case GgufValueType::Int32:
        case GgufValueType::Float32: return 4;
        case GgufValueType::String:  // uint64 length
        case GgufValueType::Uint64:
        case GgufValueType::Int64:
        case GgufValueType::Float64: return 8;
        case GgufValueType::Array: return 12;  // uint32 type + uint64 count
    }
    return 1;
}

std::string magic_text(std::span<const std::uint8_t> b) {
    std::string s;
    for (std::size_t i = 0; i < 4 && i < b.size(); ++i) {
        const char c = char(b[i]);
        if (c >= 0x20 && c < 0x7f) {
            s += c;
        } else {
            static const char* hex = "0123456789abcdef";
            s += "\\x";
            s += hex[b[i] >> 4];
            s += hex[b[i] & 15];
        }
    }
    return s;
}

}  // namespace

GgufParser::GgufParser(GgufFile& file) : file_(file), bytes_(file.mapping_->bytes()) {}

Status GgufParser::need(std::uint64_t n, const std::string& what) {
    if (n > remaining())
        return err(file_.path_, ": file truncated at byte ", pos_, " while reading ", what, " (need ", n,
                   " bytes, ", remaining(), " left of ", bytes_.size(), ")");
    return {};
}

template <typename T>
Status GgufParser::read_pod(T& out, const std::string& what) {
    KVS_TRY(need(sizeof(T), what));
    std::memcpy(&out, bytes_.data() + pos_, sizeof(T));  // the format is little-endian, as is the host
    pos_ += sizeof(T);
    return {};
}

Status GgufParser::read_string(std::string& out, std::uint64_t max_length, const std::string& what) {
    const std::uint64_t at = pos_;
    std::uint64_t length = 0;
    KVS_TRY(read_pod(length, "the length of " + what));
    if (length > max_length)
        return err(file_.path_, ": ", what, " at byte ", at, " claims a length of ", length,
                   " bytes, more than the limit of ", max_length);
    KVS_TRY(need(length, what));
    out.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), std::size_t(length));
    pos_ += length;
    return {};
}

Status GgufParser::parse() {
    std::uint64_t n_tensors = 0, n_kv = 0;
    KVS_TRY(read_header(n_tensors, n_kv));
    KVS_TRY(read_metadata(n_kv));
    KVS_TRY(apply_alignment());
    KVS_TRY(read_tensor_infos(n_tensors));
    // The data section starts at the next multiple of the alignment after the tensor table.
    const std::uint64_t a = file_.alignment_;
    file_.data_offset_ = (pos_ + a - 1) / a * a;
    if (!file_.tensors_.empty() && file_.data_offset_ > bytes_.size())
        return err(file_.path_, ": tensor data would start at byte ", file_.data_offset_,
                   " (alignment ", a, "), past the end of the file (", bytes_.size(), " bytes)");
    return check_tensor_extents();
}

Status GgufParser::read_header(std::uint64_t& n_tensors, std::uint64_t& n_kv) {
    if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0)
        return err(file_.path_, ": not a GGUF file (magic at byte 0 is '", magic_text(bytes_),
                   "', expected 'GGUF')");
    pos_ = 4;
    std::uint32_t version = 0;
    KVS_TRY(read_pod(version, "the format version"));
    if (version == 1)
        return err(file_.path_, ": GGUF version 1 is not supported (it predates 64-bit counts); convert the "
                                "model again with a current llama.cpp to get version 3");
    if ((version & 0xFFFFu) == 0 && version != 0)
        return err(file_.path_, ": GGUF version field reads ", version,
                   "; this looks like a big-endian file, which is not supported");
    if (version < 2 || version > 3)
        return err(file_.path_, ": GGUF version ", version, " is not supported (expected 2 or 3)");
    file_.version_ = version;
    KVS_TRY(read_pod(n_tensors, "the tensor count"));
    KVS_TRY(read_pod(n_kv, "the metadata entry count"));
    // Each entry takes at least a few bytes, so counts beyond that are corruption, not size.
    if (n_kv > remaining() / (8 + 4))
        return err(file_.path_, ": header at byte 16 claims ", n_kv, " metadata entries, more than fit in the ",
                   remaining(), " bytes left");
    if (n_tensors > remaining() / (8 + 4 + 4 + 8))
        return err(file_.path_, ": header at byte 8 claims ", n_tensors, " tensors, more than fit in the ",
                   remaining(), " bytes left");
    return {};
}

Status GgufParser::read_metadata(std::uint64_t n_kv) {
    file_.metadata_.reserve(std::size_t(n_kv));
    for (std::uint64_t i = 0; i < n_kv; ++i) {
        GgufMetadataEntry e;
        e.offset = pos_;
        KVS_TRY(read_string(e.key, GgufFile::kMaxKeyLength, "the key of metadata entry " + std::to_string(i)));
        std::uint32_t type = 0;
        KVS_TRY(read_pod(type, "the value type of key " + quoted(e.key)));
        if (type >= kGgufValueTypeCount)
            return err(file_.path_, ": key ", quoted(e.key), " at byte ", e.offset, " has value type ", type,
                       ", expected 0..", kGgufValueTypeCount - 1);
        KVS_TRY(read_value(GgufValueType(type), e.key, 0, e.value));
        if (file_.key_index_.count(e.key) != 0)
            return err(file_.path_, ": key ", quoted(e.key), " appears twice (second at byte ", e.offset, ")");
        file_.key_index_.emplace(e.key, file_.metadata_.size());
        file_.metadata_.push_back(std::move(e));
    }
    return {};
}

Status GgufParser::read_value(GgufValueType type, const std::string& key, int depth, GgufValue& out) {
    const std::string what = "the value of key " + quoted(key);
    switch (type) {
        case GgufValueType::Uint8: { std::uint8_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Int8: { std::int8_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Uint16: { std::uint16_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Int16: { std::int16_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Uint32: { std::uint32_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Int32: { std::int32_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Float32: { float x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Uint64: { std::uint64_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Int64: { std::int64_t x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Float64: { double x{}; KVS_TRY(read_pod(x, what)); out.v = x; break; }
        case GgufValueType::Bool: {
            const std::uint64_t at = pos_;
            std::uint8_t x{};
            KVS_TRY(read_pod(x, what));
            if (x > 1)
                return err(file_.path_, ": key ", quoted(key), " has bool byte ", int(x), " at byte ", at,
                           ", expected 0 or 1");
            out.v = x == 1;
            break;
        }
        case GgufValueType::String: {
            std::string s;
            KVS_TRY(read_string(s, GgufFile::kMaxStringLength, what));
            out.v = std::move(s);
            break;
        }
        case GgufValueType::Array: return read_array(key, depth, out);
    }
    return {};
}

Status GgufParser::read_array(const std::string& key, int depth, GgufValue& out) {
    const std::uint64_t at = pos_;
    if (depth >= GgufFile::kMaxArrayNesting)
        return err(file_.path_, ": key ", quoted(key), " nests arrays deeper than ", GgufFile::kMaxArrayNesting,
                   " levels (at byte ", at, ")");
    std::uint32_t elem = 0;
    std::uint64_t count = 0;
    KVS_TRY(read_pod(elem, "the element type of array " + quoted(key)));
    if (elem >= kGgufValueTypeCount)
        return err(file_.path_, ": array ", quoted(key), " at byte ", at, " has element type ", elem,
                   ", expected 0..", kGgufValueTypeCount - 1);
    KVS_TRY(read_pod(count, "the element count of array " + quoted(key)));
    const GgufValueType elem_type = GgufValueType(elem);
    if (count > remaining() / min_encoded_size(elem_type))
        return err(file_.path_, ": array ", quoted(key), " at byte ", at, " claims ", count, " elements of type ",
                   to_string(elem_type), ", more than fit in the ", remaining(), " bytes left");
    GgufArray arr;
    arr.element_type = elem_type;
    arr.items.resize(std::size_t(count));
    for (std::uint64_t i = 0; i < count; ++i)
        KVS_TRY(read_value(elem_type, key + "[" + std::to_string(i) + "]", depth + 1, arr.items[i]));
    out.v = std::move(arr);
    return {};
}

Status GgufParser::apply_alignment() {
    const GgufMetadataEntry* e = file_.find("general.alignment");
    if (e == nullptr) return {};
    const auto a = e->value.as_int();
    if (!e->value.is_integer() || !a)
        return err(file_.path_, ": key 'general.alignment' at byte ", e->offset, " is a ", to_string(e->value.type()),
                   ", expected an unsigned integer");
    if (*a <= 0 || (*a & (*a - 1)) != 0 || *a > (1 << 20))
        return err(file_.path_, ": key 'general.alignment' is ", *a, ", expected a power of two up to 1 MiB");
    file_.alignment_ = std::uint64_t(*a);
    return {};
}

Status GgufParser::read_tensor_infos(std::uint64_t n_tensors) {
    file_.tensors_.resize(std::size_t(n_tensors));
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensorInfo& t = file_.tensors_[i];
        KVS_TRY(read_tensor_info(i, t));
        if (file_.tensor_index_.count(t.name) != 0)
            return err(file_.path_, ": tensor ", quoted(t.name), " appears twice (second entry at byte ",
                       t.info_offset, ")");
        file_.tensor_index_.emplace(t.name, i);
    }
    return {};
}

Status GgufParser::read_tensor_info(std::uint64_t index, GgufTensorInfo& t) {
    t.info_offset = pos_;
    KVS_TRY(read_string(t.name, GgufFile::kMaxKeyLength, "the name of tensor " + std::to_string(index)));
    const std::string name = quoted(t.name);
    std::uint32_t n_dims = 0;
    KVS_TRY(read_pod(n_dims, "the dimension count of tensor " + name));
    if (n_dims > GgufFile::kMaxDims)
        return err(file_.path_, ": tensor ", name, " at byte ", t.info_offset, " has ", n_dims,
                   " dimensions, expected at most ", GgufFile::kMaxDims);
    std::int64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
        const std::uint64_t at = pos_;
        std::uint64_t ne = 0;
        KVS_TRY(read_pod(ne, "dimension " + std::to_string(d) + " of tensor " + name));
        constexpr auto kMax = std::uint64_t(std::numeric_limits<std::int64_t>::max());
        if (ne > kMax || (ne != 0 && std::uint64_t(elements) > kMax / ne))
            return err(file_.path_, ": tensor ", name, " has absurd dimension ", d, " = ", ne, " (at byte ", at,
                       "): the element count overflows 64 bits");
        elements *= std::int64_t(ne);
        t.dims.push_back(std::int64_t(ne));
    }
    t.element_count = elements;
    const std::uint64_t type_at = pos_;
    KVS_TRY(read_pod(t.type_id, "the type of tensor " + name));
    const auto info = ggml_type_info(t.type_id);
    if (!info)
        return err(file_.path_, ": tensor ", name, " has unknown ggml type id ", t.type_id, " (at byte ", type_at,
                   ")");
    if (!t.dims.empty() && t.dims[0] % info->block_size != 0)
        return err(file_.path_, ": tensor ", name, " of type ", info->name, " has a row of ", t.dims[0],
                   " elements, expected a multiple of its block size ", info->block_size);
    if (elements > 0 && info->block_size > 0 &&
        std::uint64_t(elements / info->block_size) > std::numeric_limits<std::uint64_t>::max() / info->type_size)
        return err(file_.path_, ": tensor ", name, " byte size overflows 64 bits");
    t.byte_size = std::uint64_t(elements / info->block_size) * std::uint64_t(info->type_size);
    const std::uint64_t offset_at = pos_;
    KVS_TRY(read_pod(t.offset, "the data offset of tensor " + name));
    if (t.offset % file_.alignment_ != 0)
        return err(file_.path_, ": tensor ", name, " has data offset ", t.offset, " (at byte ", offset_at,
                   "), expected a multiple of the alignment ", file_.alignment_);
    return {};
}

Status GgufParser::check_tensor_extents() {
    const std::uint64_t size = bytes_.size();
    for (const GgufTensorInfo& t : file_.tensors_) {
        const std::uint64_t start = file_.data_offset_ + t.offset;
        // The stored offset is printed as read: data_offset_ + t.offset can wrap past 2^64.
        if (t.offset > size || start > size || t.byte_size > size - start)
            return err(file_.path_, ": tensor '", t.name, "' extends past end of file (offset ", t.offset,
                       " from the data section at byte ", file_.data_offset_, ", size ", t.byte_size, ", file ", size,
                       ")");
    }
    return {};
}

}  // namespace kvs
