#pragma once
// The weights of a Hugging Face folder: one model.safetensors, or the shards listed by
// model.safetensors.index.json ("weight_map": tensor name -> shard file). Matrices stay in the
// mapped files in their type (F32, F16, BF16); vectors and GPT-2's transposed Conv1D matrices are
// read as owned F32; every shape is checked against what the config implies.
#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/safetensors_reader.h"
#include "model/weights.h"

namespace kvs {

class HfCheckpoint {
public:
    static Result<HfCheckpoint> open(const std::string& dir);

    bool has(const std::string& name) const { return where_.count(name) != 0; }
    std::vector<std::string> tensor_names() const;
    // A [rows, cols] matrix stored as [rows, cols] (torch.nn.Linear, embeddings).
    Result<Tensor> matrix(const std::string& name, int rows, int cols, const std::string& role) const;
    // A GPT-2 Conv1D weight stored as [in, out], returned transposed as [out, in].
    Result<Tensor> conv1d(const std::string& name, int in, int out, const std::string& role) const;
    // A vector of n values, stored as [n].
    Result<Tensor> vector(const std::string& name, int n, const std::string& role) const;
    // The dtype holding most elements of 2-D tensors (what the folder "is": F32, F16, BF16).
    std::string dominant_dtype() const;
    const std::string& dir() const { return dir_; }

private:
    // `in_place`: a matrix may stay in the mapped file in its own type.
    Result<Tensor> load(const std::string& name, const std::vector<std::int64_t>& expected,
                        const std::string& role, bool in_place) const;

    std::string dir_;
    std::vector<SafetensorsFile> shards_;
    std::map<std::string, std::size_t> where_;  // tensor name -> index into shards_
};

}  // namespace kvs
