#pragma once
// Model weights on the host as row-major matrices [out_features, in_features] (y = W x, as in
// llama2.c). A matrix is either owned F32 values or rows used in place from the model file's
// read-only mapping in the file's own type (F32, F16, BF16 or a ggml block type): decode reads
// every weight once per token, so keeping Q4_0 at 0.56 bytes per value instead of converting to
// 4 bytes is most of the speed and memory of a quantized model. GPT-2's Conv1D [in, out] layout
// is transposed at load time into owned F32 so the forward pass sees one convention.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/weight_type.h"

namespace kvs {

struct Tensor {
    Tensor() = default;
    Tensor(std::vector<float> values, int r, int c) : data(std::move(values)), rows(r), cols(c) {}

    std::vector<float> data;  // owned F32 values; empty when the rows are `stored` in place
    int rows = 0;  // out features (or 1 for a vector)
    int cols = 0;  // in features (or the vector length)
    // In-place storage: rows of row_bytes(type, cols) bytes each, one after another, inside a
    // mapping that `owner` keeps alive. Set only for matrices; vectors are always owned F32.
    WeightType type = WeightType::F32;
    const std::uint8_t* stored = nullptr;
    std::shared_ptr<const void> owner;

    bool empty() const { return data.empty() && stored == nullptr; }
    std::int64_t size() const { return std::int64_t(rows) * cols; }
    static Tensor matrix(int r, int c) { return Tensor{std::vector<float>(std::size_t(r) * c), r, c}; }
    static Tensor vector(int n) { return Tensor{std::vector<float>(std::size_t(n)), 1, n}; }
    // Rows in place in a mapping (`owner` keeps `bytes` valid).
    static Tensor in_place(WeightType type, const std::uint8_t* bytes, int r, int c, std::shared_ptr<const void> owner) {
        Tensor t;
        t.rows = r;
        t.cols = c;
        t.type = type;
        t.stored = bytes;
        t.owner = std::move(owner);
        return t;
    }

    // F32 values, owned or in place; nullptr when the storage is another type.
    const float* f32() const {
        if (stored == nullptr) return data.data();
        return type == WeightType::F32 ? reinterpret_cast<const float*>(stored) : nullptr;
    }
    std::int64_t row_stride_bytes() const { return stored ? row_bytes(type, cols) : std::int64_t(cols) * 4; }
    const std::uint8_t* row_bytes_at(int r) const {
        return stored ? stored + std::int64_t(r) * row_stride_bytes() : reinterpret_cast<const std::uint8_t*>(data.data() + std::int64_t(r) * cols);
    }
    // Bytes the values occupy as stored (what one pass over the matrix reads).
    std::int64_t storage_bytes() const { return std::int64_t(rows) * row_stride_bytes(); }
    WeightType storage_type() const { return stored ? type : WeightType::F32; }
    // Row r as F32 into out[cols] (dequantized with the reference decoder when stored as blocks).
    void row_to_f32(int r, float* out) const;
    // Rows [first, first + n) as F32 (dequantized when needed).
    std::vector<float> rows_to_f32(int first, int n) const;
    std::vector<float> to_f32() const { return rows_to_f32(0, rows); }

    // Rows [first, first + n) of a matrix (sharing in-place storage, copying owned values), or
    // elements [first, first + n) of a vector: how fused tensors (GPT-2's c_attn QKV) are split.
    Tensor row_slice(int first, int n) const {
        if (stored != nullptr) return in_place(type, row_bytes_at(first), n, cols, owner);
        const bool is_vector = rows == 1;
        const int width = is_vector ? 1 : cols;
        Tensor out = is_vector ? vector(n) : matrix(n, width);
        std::copy_n(data.begin() + std::ptrdiff_t(first) * width, std::size_t(n) * std::size_t(width), out.data.begin());
        return out;
    }
};

// One transformer block. Names follow the Llama roles; GPT-2 maps onto them:
// ln_1 -> attn_norm(+bias), c_attn -> wq/wk/wv(+biases), attn.c_proj -> wo(+bias),
// ln_2 -> ffn_norm(+bias), c_fc -> w_up(+bias), mlp.c_proj -> w_down(+bias).
struct LayerWeights {
    Tensor attn_norm, attn_norm_bias;  // [dim]
    Tensor wq, wk, wv;                 // [dim, dim], [kv_dim, dim], [kv_dim, dim]
    Tensor bq, bk, bv;                 // [dim], [kv_dim], [kv_dim] (GPT-2, Qwen2)
    Tensor wo, bo;                     // [dim, dim], [dim]
    Tensor ffn_norm, ffn_norm_bias;    // [dim]
    Tensor w_gate;                     // [hidden, dim] (Llama: w1)
    Tensor w_up, b_up;                 // [hidden, dim] (Llama: w3; GPT-2: c_fc)
    Tensor w_down, b_down;             // [dim, hidden] (Llama: w2; GPT-2: mlp.c_proj)
};

// GPT-2's c_attn stacks Q, K and V: weight [3 * dim, dim] and bias [3 * dim] become
// wq, wk, wv [dim, dim] and bq, bk, bv [dim].
inline void split_fused_qkv(const Tensor& qkv, const Tensor& qkv_bias, int dim, LayerWeights& layer) {
    layer.wq = qkv.row_slice(0, dim);
    layer.wk = qkv.row_slice(dim, dim);
    layer.wv = qkv.row_slice(2 * dim, dim);
    layer.bq = qkv_bias.row_slice(0, dim);
    layer.bk = qkv_bias.row_slice(dim, dim);
    layer.bv = qkv_bias.row_slice(2 * dim, dim);
}

struct ModelWeights {
    Tensor token_embedding;     // [vocab, dim]
    Tensor position_embedding;  // [max_seq, dim] (GPT-2 only)
    std::vector<LayerWeights> layers;
    Tensor final_norm, final_norm_bias;  // [dim]
    Tensor classifier;                   // [vocab, dim]; empty when tied to token_embedding
    std::string source_dtype = "F32";    // what the file stored: F32, F16, BF16, Q8_0, ...

    // Bytes of the weights as the CPU reads them (in-place rows in their own type).
    std::int64_t storage_bytes() const;
    // Average bytes per value of the matrices (4 for F32, 0.5625 for Q4_0): what decode reads.
    double matrix_bytes_per_value() const;
    // Values a decode step reads from matrices: every layer matrix and the classifier once.
    std::int64_t decode_matrix_values() const;

    const Tensor& classifier_matrix() const { return classifier.empty() ? token_embedding : classifier; }
};

}  // namespace kvs
