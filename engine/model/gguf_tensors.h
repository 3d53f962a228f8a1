#pragma once
// Reads GGUF tensors, checking each one's shape against what the model config implies: matrices
// stay in the file's type, in place in its mapping (F32 rows not 4-byte aligned are copied);
// vectors (norms, biases) become owned F32. ggml lists dimensions fastest first, so a 2-D tensor with ne = [cols, rows]
// is a row-major [rows, cols] matrix.
#include <string>

#include "core/result.h"
#include "model/gguf_reader.h"
#include "model/weights.h"

namespace kvs {

class GgufTensorSource {
public:
    explicit GgufTensorSource(const GgufFile& file) : file_(file) {}

    // A [rows, cols] matrix; `role` describes the expected shape for messages ("[kv_dim, dim]").
    Result<Tensor> matrix(const std::string& name, int rows, int cols, const std::string& role) const;
    // A vector of n values (ne = [n]).
    Result<Tensor> vector(const std::string& name, int n, const std::string& role) const;
    bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

private:
    Result<Tensor> load(const std::string& name, std::int64_t rows, std::int64_t cols, bool is_matrix,
                        const std::string& role) const;

    const GgufFile& file_;
};

// F32 values of a tensor stored as F32, F16, BF16 or Q8_0 (other types give an error).
Result<std::vector<float>> gguf_tensor_to_f32(const GgufFile& file, const GgufTensorInfo& t);

}  // namespace kvs
