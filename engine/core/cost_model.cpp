#include "core/cost_model.h"

// Every formula here is written out, with its conventions, in docs/COST_MODEL.md. Keep the two
// in step: a change of a per-element count below is a change of the documented model.

namespace kvs {
namespace {

// Small per-element FLOP counts (documented in docs/COST_MODEL.md, "Conventions").
constexpr double kRmsNormFlops = 4.0;    // x*x accumulate (2), x * inv_rms * weight (2)
constexpr double kLayerNormFlops = 7.0;  // mean (1), x - mean (1), square accumulate (2),
                                         // * inv_std (1), * weight + bias (2)
constexpr double kRopeFlopsPerElement = 3.0;  // a rotated pair: 4 multiplies + 2 adds
constexpr double kScoreScaleFlops = 1.0;      // each score * 1/sqrt(head_dim)
constexpr double kSoftmaxFlops = 5.0;         // max (1), subtract (1), exp (1), sum (1), divide (1)
constexpr double kSwigluFlops = 4.0;          // silu(g) = g / (1 + exp(-g)) (3), * up (1)
constexpr double kGeluFlops = 9.0;            // tanh approximation, see docs/COST_MODEL.md

// The quantities every op formula is written in.
struct Shape {
    double n;        // new positions computed by the pass
    double rows;     // positions that reach the final norm and classifier
    double keys;     // first_pos + n_tokens: K/V rows attention reads
    double scores;   // sum over new positions p of (p + 1): causal score entries per head
    double d;        // dim
    double h;        // hidden_dim
    double kv;       // kv_dim
    double heads;    // query heads
    double kv_heads;
    double head_dim;
    double rot;      // rotated dimensions per head
    double vocab;
    double wb, kvb, ab;  // bytes per weight, cached K/V element, activation
};

Shape make_shape(const ModelConfig& c, const CostParams& p) {
    Shape s{};
    s.n = p.n_tokens;
    s.rows = p.all_logits ? p.n_tokens : (p.n_tokens > 0 ? 1 : 0);
    s.keys = double(p.first_pos) + p.n_tokens;
    // sum_{q = first_pos}^{first_pos + n - 1} (q + 1) = n * first_pos + n (n + 1) / 2
    s.scores = double(p.n_tokens) * p.first_pos + double(p.n_tokens) * (p.n_tokens + 1) / 2.0;
    s.d = c.dim;
    s.h = c.hidden_dim;
    s.kv = c.kv_dim();
    s.heads = c.n_heads;
    s.kv_heads = c.n_kv_heads;
    s.head_dim = c.head_dim();
    s.rot = c.rotary_dim();
    s.vocab = c.vocab_size;
    s.wb = p.weight_bytes;
    s.kvb = p.kv_bytes;
    s.ab = p.activation_bytes;
    return s;
}

OpCost op(OpKind kind, int layer, double flops, double read, double written) {
    return OpCost{kind, layer, flops, read, written};
}

// A dense layer y = W x (+ b) over `rows` positions, W [out, in].
OpCost linear(OpKind kind, int layer, const Shape& s, double rows, double in, double out, bool bias) {
    const double flops = 2.0 * rows * in * out + (bias ? rows * out : 0.0);
    const double read = (in * out + (bias ? out : 0.0)) * s.wb + rows * in * s.ab;
    return op(kind, layer, flops, read, rows * out * s.ab);
}

// RMSNorm (weight) or LayerNorm (weight and bias) over `rows` positions of width d.
OpCost norm(OpKind kind, int layer, const Shape& s, double rows, bool layer_norm) {
    const double per_element = layer_norm ? kLayerNormFlops : kRmsNormFlops;
    const double params = layer_norm ? 2.0 * s.d : s.d;
    return op(kind, layer, per_element * rows * s.d, rows * s.d * s.ab + params * s.wb, rows * s.d * s.ab);
}

void add_block(std::vector<OpCost>& out, const ModelConfig& c, const Shape& s, int l) {
    const bool gpt2 = c.arch == Architecture::Gpt2;
    const bool qkv_bias = gpt2 || c.qkv_bias;
    // x [n, d] -> norm -> Q [n, d], K [n, kv], V [n, kv]
    out.push_back(norm(OpKind::AttnNorm, l, s, s.n, gpt2));
    out.push_back(linear(OpKind::QkvProjection, l, s, s.n, s.d, s.d + 2.0 * s.kv, qkv_bias));
    if (!gpt2) {
        // Rotates Q [n, heads, rot] and K [n, kv_heads, rot] in place.
        const double elems = s.n * (s.heads + s.kv_heads) * s.rot;
        const double io = s.n * (s.d + s.kv) * s.ab;
        out.push_back(op(OpKind::Rope, l, kRopeFlopsPerElement * elems, io, io));
    }
    // K, V [n, kv] -> cache
    out.push_back(op(OpKind::KvWrite, l, 0.0, 2.0 * s.n * s.kv * s.ab, 2.0 * s.n * s.kv * s.kvb));
    // scores [heads, n, keys] (causal: row of position p holds p + 1 entries)
    const double score_entries = s.heads * s.scores;
    const double kv_read = s.keys * s.kv * s.kvb;  // K (or V) of every cached position, once
    out.push_back(op(OpKind::AttentionScores, l, (2.0 * s.head_dim + kScoreScaleFlops) * score_entries,
                     s.n * s.d * s.ab + kv_read, score_entries * s.ab));
    out.push_back(op(OpKind::Softmax, l, kSoftmaxFlops * score_entries, score_entries * s.ab, score_entries * s.ab));
    // probs [heads, n, keys] x V [keys, kv] -> [n, d]
    out.push_back(op(OpKind::AttentionValues, l, 2.0 * s.head_dim * score_entries, score_entries * s.ab + kv_read,
                     s.n * s.d * s.ab));
    out.push_back(linear(OpKind::OutputProjection, l, s, s.n, s.d, s.d, gpt2));
    // Two residual adds per block: x += attn, x += ffn; each reads two [n, d] and writes one.
    out.push_back(op(OpKind::Residual, l, 2.0 * s.n * s.d, 4.0 * s.n * s.d * s.ab, 2.0 * s.n * s.d * s.ab));
    out.push_back(norm(OpKind::FfnNorm, l, s, s.n, gpt2));
    if (gpt2) {
        // [n, d] -> [n, h] -> GELU -> [n, d]
        out.push_back(linear(OpKind::FfnUp, l, s, s.n, s.d, s.h, true));
        out.push_back(op(OpKind::FfnActivation, l, kGeluFlops * s.n * s.h, s.n * s.h * s.ab, s.n * s.h * s.ab));
        out.push_back(linear(OpKind::FfnDown, l, s, s.n, s.h, s.d, true));
    } else {
        // SwiGLU: silu([n, d] W1^T) * ([n, d] W3^T) -> [n, h] -> W2 -> [n, d]
        out.push_back(linear(OpKind::FfnGate, l, s, s.n, s.d, s.h, false));
        out.push_back(linear(OpKind::FfnUp, l, s, s.n, s.d, s.h, false));
        out.push_back(op(OpKind::FfnActivation, l, kSwigluFlops * s.n * s.h, 2.0 * s.n * s.h * s.ab, s.n * s.h * s.ab));
        out.push_back(linear(OpKind::FfnDown, l, s, s.n, s.h, s.d, false));
    }
}

}  // namespace

std::vector<OpCost> forward_costs(const ModelConfig& cfg, const CostParams& p) {
    std::vector<OpCost> out;
    if (p.n_tokens <= 0 || cfg.n_heads <= 0) return out;
    const Shape s = make_shape(cfg, p);
    const bool gpt2 = cfg.arch == Architecture::Gpt2;

    // Token rows (and GPT-2 position rows) gathered from the tables: [n, d]. Ids are 4 bytes.
    const double table_rows = gpt2 ? 2.0 : 1.0;
    out.push_back(op(OpKind::Embedding, -1, gpt2 ? s.n * s.d : 0.0, table_rows * s.n * s.d * s.wb + 4.0 * s.n,
                     s.n * s.d * s.ab));
    for (int l = 0; l < cfg.n_layers; ++l) add_block(out, cfg, s, l);
    // Only the rows whose logits are wanted go through the final norm and the classifier.
    out.push_back(norm(OpKind::FinalNorm, -1, s, s.rows, gpt2));
    out.push_back(linear(OpKind::Classifier, -1, s, s.rows, s.d, s.vocab, false));
    return out;
}

CostTotals total(const std::vector<OpCost>& costs) {
    CostTotals t;
    for (const auto& c : costs) {
        t.flops += c.flops;
        t.bytes += c.bytes_read + c.bytes_written;
    }
    return t;
}

}  // namespace kvs
