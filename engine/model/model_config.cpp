#include "model/model_config.h"

#include <limits>

namespace kvs {

namespace {

// Header values are untrusted: products of four 32-bit counts overflow 64 bits. Counts are
// non-negative, so saturating at INT64_MAX keeps every comparison with a budget right.
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
std::int64_t mul(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}
std::int64_t add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    return __builtin_add_overflow(a, b, &r) ? kMax : r;
}
template <typename... T>
std::int64_t sum(std::int64_t a, T... rest) {
    if constexpr (sizeof...(rest) == 0) return a;
    else return add(a, sum(rest...));
}

}  // namespace

std::int64_t ModelConfig::parameter_count() const {
    const std::int64_t d = dim, h = hidden_dim, kv = kv_dim(), v = vocab_size;
    std::int64_t per_layer = 0;
    std::int64_t total = mul(v, d);  // token embedding
    if (arch == Architecture::Llama) {
        per_layer = sum(d,                          // attention RMSNorm
                        mul(d, d), mul(2 * d, kv),  // wq, wk, wv
                        mul(d, d),                  // wo
                        d,                          // FFN RMSNorm
                        mul(3 * d, h));             // w1 (gate), w3 (up), w2 (down)
        if (qkv_bias) per_layer = sum(per_layer, d, 2 * kv);
        total = add(total, d);  // final norm
    } else {
        per_layer = sum(2 * d,                     // ln_1
                        mul(d, 3 * d), 3 * d,      // c_attn
                        mul(d, d), d,              // attn c_proj
                        2 * d,                     // ln_2
                        mul(d, h), h,              // c_fc
                        mul(h, d), d);             // mlp c_proj
        total = sum(total, mul(max_seq_len, d), 2 * d);  // positions, ln_f
    }
    total = add(total, mul(per_layer, n_layers));
    if (!tied_classifier) total = add(total, mul(v, d));
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
