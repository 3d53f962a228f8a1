#include "model/model_config.h"

namespace kvs {

std::int64_t ModelConfig::parameter_count() const {
    const std::int64_t d = dim, h = hidden_dim, kv = kv_dim(), v = vocab_size;
    std::int64_t per_layer = 0;
    std::int64_t total = v * d;  // token embedding
    if (arch == Architecture::Llama) {
        per_layer = d                       // attention RMSNorm
                    + d * d + 2 * d * kv    // wq, wk, wv
                    + d * d                 // wo
                    + d                     // FFN RMSNorm
                    + 3 * d * h;            // w1 (gate), w3 (up), w2 (down)
        if (qkv_bias) per_layer += d + 2 * kv;
        total += d;  // final norm
    } else {
        per_layer = 2 * d                   // ln_1
                    + d * 3 * d + 3 * d     // c_attn
                    + d * d + d             // attn c_proj
                    + 2 * d                 // ln_2
                    + d * h + h             // c_fc
                    + h * d + d;            // mlp c_proj
        total += std::int64_t(max_seq_len) * d + 2 * d;  // positions, ln_f
    }
    total += per_layer * n_layers;
    if (!tied_classifier) total += v * d;
    return total;
}

const char* to_string(Architecture a) {
    switch (a) {
        case Architecture::Llama: return "llama";
        case Architecture::Gpt2: return "gpt2";
    }
    return "?";
}

const char* to_string(RopeStyle s) {
    switch (s) {
        case RopeStyle::AdjacentPairs: return "adjacent-pairs";
        case RopeStyle::HalfRotate: return "half-rotate";
    }
    return "?";
}

}  // namespace kvs
