#pragma once
// Model weights on the host, always as F32 row-major matrices [out_features, in_features]
// (y = W x, as in llama2.c). Loaders convert F16/BF16/Q8_0 and transpose GPT-2's Conv1D
// [in, out] layout at load time so the forward pass sees one convention.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace kvs {

struct Tensor {
    std::vector<float> data;
    int rows = 0;  // out features (or 1 for a vector)
    int cols = 0;  // in features (or the vector length)

    bool empty() const { return data.empty(); }
    std::int64_t size() const { return std::int64_t(rows) * cols; }
    static Tensor matrix(int r, int c) { return Tensor{std::vector<float>(std::size_t(r) * c), r, c}; }
    static Tensor vector(int n) { return Tensor{std::vector<float>(std::size_t(n)), 1, n}; }

    // A copy of rows [first, first + n) of a matrix, or of elements [first, first + n) of a
    // vector: how fused tensors (GPT-2's c_attn QKV) are split at load time.
    Tensor row_slice(int first, int n) const {
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
    std::string source_dtype = "F32";    // what the file stored: F32, F16, BF16, Q8_0

    const Tensor& classifier_matrix() const { return classifier.empty() ? token_embedding : classifier; }
};

}  // namespace kvs
