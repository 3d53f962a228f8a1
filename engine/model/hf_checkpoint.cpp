#include "model/hf_checkpoint.h"

#include <cstdint>
#include <filesystem>
#include <optional>

#include "model/json_file.h"
#include "model/weight_type.h"

namespace kvs {

namespace fs = std::filesystem;

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Shard file names from the index, each opened once, in the order they first appear.
Result<std::map<std::string, std::string>> read_weight_map(const std::string& index_path) {
    KVS_ASSIGN(const nlohmann::json index, read_json_file(index_path));
    const auto map = index.find("weight_map");
    if (!index.is_object() || map == index.end() || !map->is_object())
        return err("'", index_path, "': missing object 'weight_map' (tensor name -> shard file)");
    std::map<std::string, std::string> out;
    for (const auto& [name, file] : map->items()) {
        if (!file.is_string())
            return err("'", index_path, "': weight_map entry '", name, "' is ", json_brief(file), ", expected a file name");
        const std::string shard = file.get<std::string>();
        if (shard.empty() || shard.find('/') != std::string::npos || shard == "..")
            return err("'", index_path, "': weight_map entry '", name, "' names '", shard,
                       "', expected a file in the same folder");
        out.emplace(name, shard);
    }
    if (out.empty()) return err("'", index_path, "': 'weight_map' is empty");
    return out;
}

}  // namespace

Result<HfCheckpoint> HfCheckpoint::open(const std::string& dir) {
    HfCheckpoint c;
    c.dir_ = dir;
    const fs::path root(dir);
    const fs::path index = root / "model.safetensors.index.json";
    const fs::path single = root / "model.safetensors";
    std::error_code ec;
    if (fs::exists(index, ec)) {
        KVS_ASSIGN(const auto weight_map, read_weight_map(index.string()));
        std::map<std::string, std::size_t> shard_index;
        for (const auto& [name, shard] : weight_map) {
            auto it = shard_index.find(shard);
            if (it == shard_index.end()) {
                const fs::path shard_path = root / shard;
                if (!fs::exists(shard_path, ec))
                    return err("'", index.string(), "' lists shard '", shard, "' (for tensor '", name,
                               "') but the folder has no such file");
                KVS_ASSIGN(SafetensorsFile f, SafetensorsFile::open(shard_path.string()));
                c.shards_.push_back(std::move(f));
                it = shard_index.emplace(shard, c.shards_.size() - 1).first;
            }
            if (c.shards_[it->second].find(name) == nullptr)
                return err("'", index.string(), "' places tensor '", name, "' in '", shard,
                           "' but that file has no such tensor");
            c.where_.emplace(name, it->second);
        }
        return c;
    }
    if (!fs::exists(single, ec)) {
        const bool has_pickle = fs::exists(root / "pytorch_model.bin", ec);
        return err("'", dir, "' has no model.safetensors or model.safetensors.index.json",
                   has_pickle ? " (pytorch_model.bin is a Python pickle, which kvscope does not read)" : "");
    }
    KVS_ASSIGN(SafetensorsFile f, SafetensorsFile::open(single.string()));
    for (const auto& [name, t] : f.tensors()) c.where_.emplace(name, 0);
    c.shards_.push_back(std::move(f));
    return c;
}

Result<Tensor> HfCheckpoint::load(const std::string& name, const std::vector<std::int64_t>& expected,
                                  const std::string& role, bool in_place) const {
    const auto it = where_.find(name);
    if (it == where_.end()) return err("'", dir_, "': missing tensor '", name, "' (", role, ")");
    const SafetensorsFile& file = shards_[it->second];
    const SafetensorsTensor& t = *file.find(name);
    if (t.shape != expected)
        return err("'", file.path(), "': tensor '", name, "' has shape ", t.shape_text(), ", expected ",
                   shape_text(expected), " (", role, ")");
    // Matrices in F32, F16 or BF16 stay in the mapping, in their type (F32 rows need 4-byte
    // alignment for the F32 kernels; a header of odd length can break it, then they are copied).
    if (in_place && expected.size() == 2) {
        const std::optional<WeightType> type = weight_type_from_name(t.dtype);
        const bool aligned = reinterpret_cast<std::uintptr_t>(t.bytes.data()) % (t.dtype == "F32" ? 4 : 2) == 0;
        if (type && !is_quantized(*type) && aligned)
            return Tensor::in_place(*type, t.bytes.data(), int(expected[0]), int(expected[1]), file.mapping());
    }
    KVS_ASSIGN(std::vector<float> values, safetensors_to_f32(t, file.path()));
    Tensor out;
    out.rows = expected.size() == 2 ? int(expected[0]) : 1;
    out.cols = int(expected.back());
    out.data = std::move(values);
    return out;
}

Result<Tensor> HfCheckpoint::matrix(const std::string& name, int rows, int cols, const std::string& role) const {
    return load(name, {rows, cols}, role, true);
}

Result<Tensor> HfCheckpoint::conv1d(const std::string& name, int in, int out, const std::string& role) const {
    KVS_ASSIGN(const Tensor stored, load(name, {in, out}, role, false));  // [in, out], owned F32
    Tensor t = Tensor::matrix(out, in);                             // [out, in]
    for (int i = 0; i < in; ++i)
        for (int o = 0; o < out; ++o)
            t.data[std::size_t(o) * std::size_t(in) + std::size_t(i)] =
                stored.data[std::size_t(i) * std::size_t(out) + std::size_t(o)];
    return t;
}

Result<Tensor> HfCheckpoint::vector(const std::string& name, int n, const std::string& role) const {
    return load(name, {n}, role, false);
}

std::vector<std::string> HfCheckpoint::tensor_names() const {
    std::vector<std::string> names;
    names.reserve(where_.size());
    for (const auto& [name, shard] : where_) names.push_back(name);
    return names;
}

std::string HfCheckpoint::dominant_dtype() const {
    std::map<std::string, std::int64_t> elements;
    for (const auto& [name, shard] : where_) {
        const SafetensorsTensor& t = *shards_[shard].find(name);
        if (t.shape.size() >= 2) elements[t.dtype] += t.element_count();
    }
    std::string best = "F32";
    std::int64_t most = -1;
    for (const auto& [dtype, n] : elements)
        if (n > most) best = dtype, most = n;
    return best;
}

}  // namespace kvs
