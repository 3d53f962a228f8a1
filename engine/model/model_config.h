#pragma once
// The shape of a model: everything the forward pass and the KV cache need to know.
#include <cstdint>
#include <string>

namespace kvs {

enum class Architecture {
    Llama,  // RMSNorm, RoPE, GQA, SwiGLU, no biases (Mistral/Qwen2-style variants map here)
    Gpt2,   // LayerNorm, learned positions, tanh-GELU, biases everywhere
};

// How RoPE pairs the dimensions of a head it rotates.
enum class RopeStyle {
    AdjacentPairs,  // (x0,x1), (x2,x3), ...: llama2.c, GGUF (ggml "norm" mode)
    HalfRotate,     // (x0,x_{d/2}), (x1,x_{d/2+1}), ...: Hugging Face Llama checkpoints
};

struct ModelConfig {
    Architecture arch = Architecture::Llama;
    std::string name;        // human label: file stem, preset name or general.name
    int dim = 0;             // d_model, the residual stream width
    int hidden_dim = 0;      // feed-forward inner width
    int n_layers = 0;
    int n_heads = 0;         // query heads
    int n_kv_heads = 0;      // key/value heads (== n_heads without GQA)
    int vocab_size = 0;
    int max_seq_len = 0;     // context length
    float norm_eps = 1e-5f;
    float rope_theta = 10000.0f;
    int rope_dim = 0;        // rotated dimensions per head; 0 means the whole head
    RopeStyle rope_style = RopeStyle::AdjacentPairs;
    bool tied_classifier = false;  // classifier shares the token embedding matrix
    bool qkv_bias = false;         // Qwen2-style biases on Q/K/V (always on for GPT-2)

    int head_dim() const { return n_heads > 0 ? dim / n_heads : 0; }
    int kv_dim() const { return n_kv_heads * head_dim(); }
    int gqa_group() const { return n_kv_heads > 0 ? n_heads / n_kv_heads : 0; }
    int rotary_dim() const { return rope_dim > 0 ? rope_dim : head_dim(); }
    // Parameters actually stored (a tied classifier counts once).
    std::int64_t parameter_count() const;
    // K and V for one token across all layers, at the given bytes per element.
    std::int64_t kv_bytes_per_token(int bytes_per_element) const {
        return 2LL * n_layers * n_kv_heads * head_dim() * bytes_per_element;
    }
};

const char* to_string(Architecture a);
const char* to_string(RopeStyle s);

}  // namespace kvs
