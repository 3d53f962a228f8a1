#pragma once
// The activation tap: which intermediate activations a forward pass hands back, on every
// backend. A backend calls one tap per op as it computes (one line in its forward pass); what
// the request does not name costs nothing. A request whose activations exceed its byte budget
// fails before anything runs, with an error naming the budget and what was asked.
//
// A request may also zero rows of an activation right after its op (ActivationPatch): the
// experiment that shows which later activations depend on an earlier position's values
// (docs/DEBUGGER.md, "Why only K and V").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/model_config.h"

namespace kvs {

// Where a forward pass can be tapped, in the order a pass produces them. Q and K are taken as
// attention uses them (after RoPE on Llama models): K is what the cache holds.
enum class TapPoint {
    Embedding,          // [rows, dim] token (+ position) embedding
    AttnNorm,           // [rows, dim] norm before attention
    Query,              // [rows, dim]
    Key,                // [rows, kv_dim]
    Value,              // [rows, kv_dim]
    AttentionMix,       // [rows, dim] attention output: probabilities x V of every head, concatenated
    OutputProjection,   // [rows, dim] attention output x Wo
    AttentionResidual,  // [rows, dim] residual stream after the attention block
    FfnNorm,            // [rows, dim] norm before the FFN
    FfnHidden,          // [rows, hidden] after SwiGLU / GELU
    FfnOutput,          // [rows, dim] down projection
    FfnResidual,        // [rows, dim] residual stream after the FFN: the layer's output
    FinalNorm,          // [logit rows, dim] the rows that reach the classifier
    Logits,             // [logit rows, vocab]
    Count
};

const char* to_string(TapPoint p);  // "attention_residual"
const char* tap_label(TapPoint p);  // "Residual after attention"
bool tap_from_string(std::string_view s, TapPoint& out);
// Embedding, FinalNorm and Logits are taken once per pass (layer -1); the rest once per layer.
bool is_layer_point(TapPoint p);
int tap_width(TapPoint p, const ModelConfig& cfg);
// Every point, in pass order.
std::vector<TapPoint> all_tap_points();

// Zeroes row `row` of the pass (a position of the batch's rows) of (layer, point) right after
// the op, before anything reads it. Not for FinalNorm and Logits.
struct ActivationPatch {
    int layer = 0;
    TapPoint point = TapPoint::FfnOutput;
    int row = 0;
};

inline constexpr std::int64_t kDefaultTapBudgetBytes = std::int64_t(256) << 20;

struct ActivationTap {
    std::vector<TapPoint> points;  // empty: nothing is handed back
    std::vector<int> layers;       // of the per-layer points; empty = all
    std::int64_t budget_bytes = kDefaultTapBudgetBytes;
    std::vector<ActivationPatch> zero;

    bool enabled() const { return !points.empty(); }
    bool active() const { return enabled() || !zero.empty(); }
    bool wants(int layer, TapPoint p) const;
    // Every point of every layer.
    static ActivationTap everything();
};

// One tapped activation of a pass: rows in the pass's row order (every sequence of the batch,
// each from its row0), or the logit rows for FinalNorm and Logits.
struct Activation {
    int layer = -1;  // -1 for Embedding, FinalNorm, Logits
    TapPoint point = TapPoint::Embedding;
    int rows = 0;
    int cols = 0;
    std::vector<float> values;  // [rows, cols]

    const float* row(int r) const { return values.data() + std::size_t(r) * std::size_t(cols); }
};

// The activations a pass of `rows` rows (`logit_rows` of them reaching the classifier) hands
// back for `tap`, in pass order, sized and zero-filled; an error when they exceed the budget
// or a patch names a row, layer or point that does not exist.
Result<std::vector<Activation>> plan_activations(const ActivationTap& tap, const ModelConfig& cfg, int rows,
                                                 int logit_rows);

// The activation of (layer, point) among `acts`, or nullptr.
Activation* find_activation(std::vector<Activation>& acts, int layer, TapPoint point);
const Activation* find_activation(const std::vector<Activation>& acts, int layer, TapPoint point);

// What a host backend calls after each op: zeroes the patched rows of `data` [rows, cols], then
// copies it into its planned activation, if any.
void tap_host_rows(const ActivationTap& tap, std::vector<Activation>& acts, int layer, TapPoint point, float* data,
                   int rows, int cols);

}  // namespace kvs
