#include "model/gguf_tensors.h"

#include <cstring>

#include "model/dtype_convert.h"

namespace kvs {

Result<std::vector<float>> gguf_tensor_to_f32(const GgufFile& file, const GgufTensorInfo& t) {
    const std::span<const std::uint8_t> bytes = file.tensor_data(t);
    const auto n = std::size_t(t.element_count);
    std::vector<float> out(n);
    switch (t.type()) {
        case GgmlType::F32:
            std::memcpy(out.data(), bytes.data(), n * sizeof(float));
            break;
        case GgmlType::F16:
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t h;
                std::memcpy(&h, bytes.data() + 2 * i, 2);
                out[i] = f16_to_f32(h);
            }
            break;
        case GgmlType::BF16:
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t h;
                std::memcpy(&h, bytes.data() + 2 * i, 2);
                out[i] = bf16_to_f32(h);
            }
            break;
        case GgmlType::Q8_0:
            dequantize_q8_0(bytes.data(), std::int64_t(n), out.data());
            break;
        default:
            return err(file.path(), ": tensor '", t.name, "' has type ", ggml_type_name(t.type_id),
                       ", which cannot be converted (supported: F32, F16, BF16, Q8_0)");
    }
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
    KVS_ASSIGN(auto values, gguf_tensor_to_f32(file_, *t));
    return Tensor{std::move(values), int(rows), int(cols)};
}

}  // namespace kvs
