#include "model/gguf_tensors.h"

#include <cstdint>
#include <cstring>

#include "model/dequantize.h"

namespace kvs {

Result<std::vector<float>> gguf_tensor_to_f32(const GgufFile& file, const GgufTensorInfo& t) {
    const std::optional<WeightType> type = weight_type_from_ggml(t.type_id);
    if (!type)
        return err(file.path(), ": tensor '", t.name, "' has type ", ggml_type_name(t.type_id),
                   ", which cannot be read (supported: ", weight_type_list(), ")");
    if (!t.dims.empty() && !fits_rows(*type, t.dims[0]))
        return err(file.path(), ": tensor '", t.name, "' of type ", to_string(*type), " has rows of ", t.dims[0],
                   " values, not a multiple of its block of ", weight_type_info(*type).block_values);
    std::vector<float> out(std::size_t(t.element_count));
    dequantize(*type, file.tensor_data(t).data(), t.element_count, out.data());
    return out;
}

Result<Tensor> GgufTensorSource::matrix(const std::string& name, int rows, int cols, const std::string& role) const {
    return load(name, rows, cols, true, role);
}

Result<Tensor> GgufTensorSource::vector(const std::string& name, int n, const std::string& role) const {
    return load(name, 1, n, false, role);
}

Result<Tensor> GgufTensorSource::load(const std::string& name, std::int64_t rows, std::int64_t cols, bool is_matrix,
                                      const std::string& role) const {
    const GgufTensorInfo* t = file_.find_tensor(name);
    if (t == nullptr) return err(file_.path(), ": missing tensor '", name, "'");
    // Trailing dimensions of 1 carry no shape (a vector may be stored as [n, 1]).
    std::vector<std::int64_t> dims = t->dims;
    while (dims.size() > 1 && dims.back() == 1) dims.pop_back();
    const std::vector<std::int64_t> expected =
        is_matrix && rows != 1 ? std::vector<std::int64_t>{cols, rows} : std::vector<std::int64_t>{cols};
    if (dims != expected) {
        const std::string want = is_matrix ? err("[", cols, ", ", rows, "]").message : err("[", cols, "]").message;
        return err(file_.path(), ": tensor '", name, "' has shape ", t->shape_text(), ", expected ", want,
                   " (ggml order) for ", role);
    }
    if (is_matrix && rows != 1) {
        const std::optional<WeightType> type = weight_type_from_ggml(t->type_id);
        const std::uint8_t* bytes = file_.tensor_data(*t).data();
        const bool misaligned_f32 = type == WeightType::F32 && reinterpret_cast<std::uintptr_t>(bytes) % 4 != 0;
        if (type && fits_rows(*type, cols) && !misaligned_f32)
            return Tensor::in_place(*type, bytes, int(rows), int(cols), file_.mapping());
    }
    KVS_ASSIGN(auto values, gguf_tensor_to_f32(file_, *t));
    return Tensor{std::move(values), int(rows), int(cols)};
}

}  // namespace kvs
