#include "core/activation_tap.h"

#include <algorithm>
#include <cstdio>

namespace kvs {
namespace {

struct TapName {
    const char* id;
    const char* label;
};
constexpr TapName kNames[] = {
    {"embedding", "Embedding"},
    {"attn_norm", "Attention norm"},
    {"q", "Q projection"},
    {"k", "K projection"},
    {"v", "V projection"},
    {"attention", "Attention output (mixed values)"},
    {"output_projection", "Output projection"},
    {"attention_residual", "Residual after attention"},
    {"ffn_norm", "FFN norm"},
    {"ffn_hidden", "FFN hidden (after activation)"},
    {"ffn_output", "FFN output"},
    {"ffn_residual", "Residual after FFN"},
    {"final_norm", "Final norm"},
    {"logits", "Logits"},
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == int(TapPoint::Count));

std::string mib(std::int64_t bytes) {
    char buf[32];
    if (bytes < (1 << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024.0);
    else std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1 << 20));
    return buf;
}

}  // namespace

const char* to_string(TapPoint p) { return p < TapPoint::Count ? kNames[int(p)].id : "?"; }
const char* tap_label(TapPoint p) { return p < TapPoint::Count ? kNames[int(p)].label : "?"; }

bool tap_from_string(std::string_view s, TapPoint& out) {
    for (int i = 0; i < int(TapPoint::Count); ++i)
        if (s == kNames[i].id) {
            out = TapPoint(i);
            return true;
        }
    return false;
}

bool is_layer_point(TapPoint p) { return p != TapPoint::Embedding && p != TapPoint::FinalNorm && p != TapPoint::Logits; }

int tap_width(TapPoint p, const ModelConfig& cfg) {
    switch (p) {
    case TapPoint::Key:
    case TapPoint::Value: return cfg.kv_dim();
    case TapPoint::FfnHidden: return cfg.hidden_dim;
    case TapPoint::Logits: return cfg.vocab_size;
    default: return cfg.dim;
    }
}

std::vector<TapPoint> all_tap_points() {
    std::vector<TapPoint> points;
    for (int i = 0; i < int(TapPoint::Count); ++i) points.push_back(TapPoint(i));
    return points;
}

bool ActivationTap::wants(int layer, TapPoint p) const {
    if (std::find(points.begin(), points.end(), p) == points.end()) return false;
    if (!is_layer_point(p)) return layer < 0;
    return layer >= 0 && (layers.empty() || std::find(layers.begin(), layers.end(), layer) != layers.end());
}

ActivationTap ActivationTap::everything() {
    ActivationTap t;
    t.points = all_tap_points();
    return t;
}

Result<std::vector<Activation>> plan_activations(const ActivationTap& tap, const ModelConfig& cfg, int rows,
                                                 int logit_rows) {
    for (const ActivationPatch& p : tap.zero) {
        if (!is_layer_point(p.point) && p.point != TapPoint::Embedding)
            return err("activation patch: ", to_string(p.point), " cannot be changed (only the embedding and the ops of a layer)");
        if (is_layer_point(p.point) && (p.layer < 0 || p.layer >= cfg.n_layers))
            return err("activation patch: layer ", p.layer, " does not exist (", cfg.n_layers, " layers)");
        if (p.row < 0 || p.row >= rows)
            return err("activation patch: row ", p.row, " is outside the pass's ", rows, " rows");
    }
    for (int l : tap.layers)
        if (l < 0 || l >= cfg.n_layers)
            return err("activation tap: layer ", l, " does not exist (", cfg.n_layers, " layers)");
    std::vector<Activation> plan;
    std::int64_t bytes = 0;
    auto add = [&](int layer, TapPoint p) {
        if (!tap.wants(layer, p)) return;
        const bool logit_point = p == TapPoint::FinalNorm || p == TapPoint::Logits;
        Activation a;
        a.layer = layer;
        a.point = p;
        a.rows = logit_point ? logit_rows : rows;
        a.cols = tap_width(p, cfg);
        bytes += std::int64_t(a.rows) * a.cols * std::int64_t(sizeof(float));
        plan.push_back(std::move(a));
    };
    add(-1, TapPoint::Embedding);
    for (int l = 0; l < cfg.n_layers; ++l)
        for (int p = int(TapPoint::AttnNorm); p <= int(TapPoint::FfnResidual); ++p) add(l, TapPoint(p));
    add(-1, TapPoint::FinalNorm);
    add(-1, TapPoint::Logits);
    if (bytes > tap.budget_bytes)
        return err("activation tap: ", plan.size(), " activations of ", rows, " rows (", tap.points.size(), " ops, ",
                   tap.layers.empty() ? cfg.n_layers : int(tap.layers.size()), " layers) need ", mib(bytes), " (",
                   bytes, " bytes), over the tap's budget of ", mib(tap.budget_bytes), " (", tap.budget_bytes,
                   " bytes); ask for fewer ops, layers or positions, or raise the budget");
    for (Activation& a : plan) a.values.assign(std::size_t(a.rows) * std::size_t(a.cols), 0.0f);
    return plan;
}

Activation* find_activation(std::vector<Activation>& acts, int layer, TapPoint point) {
    for (Activation& a : acts)
        if (a.layer == layer && a.point == point) return &a;
    return nullptr;
}

const Activation* find_activation(const std::vector<Activation>& acts, int layer, TapPoint point) {
    for (const Activation& a : acts)
        if (a.layer == layer && a.point == point) return &a;
    return nullptr;
}

void tap_host_rows(const ActivationTap& tap, std::vector<Activation>& acts, int layer, TapPoint point, float* data,
                   int rows, int cols) {
    for (const ActivationPatch& p : tap.zero)
        if (p.point == point && (p.layer == layer || !is_layer_point(point)) && p.row < rows)
            std::fill_n(data + std::size_t(p.row) * std::size_t(cols), cols, 0.0f);
    if (Activation* a = find_activation(acts, layer, point))
        std::copy_n(data, std::min(a->values.size(), std::size_t(rows) * std::size_t(cols)), a->values.data());
}

}  // namespace kvs
