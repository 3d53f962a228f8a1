#pragma once
// An independent reference of one prefill from position 0, written out op by op in the test
// suite (Eigen, no backend): the value of every activation tap point, in pass order. The
// backends' taps are checked against it.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/activation_tap.h"
#include "cpu/cpu_kernels.h"
#include "model/model.h"

namespace kvs::test {

using cpu::RowMatrix;

struct Checkpoint {
    int layer;
    TapPoint point;
    RowMatrix value;
};

inline Eigen::Map<const RowMatrix> mat(const Tensor& t) { return {t.f32(), t.rows, t.cols}; }  // F32, owned or in place
inline cpu::ConstRowVectorMap vec(const Tensor& t) { return {t.data.data(), t.cols}; }

inline RowMatrix linear(const RowMatrix& in, const Tensor& w, const Tensor& b) {
    RowMatrix out = in * mat(w).transpose();
    if (!b.empty()) out.rowwise() += vec(b);
    return out;
}

// The CPU backend's math for one prefill from position 0, keeping every tap point's value in
// pass order.
inline std::vector<Checkpoint> reference_pass(const Model& model, const std::vector<int>& tokens) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    const int n = int(tokens.size()), hd = c.head_dim();
    const bool gpt2 = c.arch == Architecture::Gpt2;
    std::vector<Checkpoint> out;
    auto keep = [&](int layer, TapPoint point, const RowMatrix& v) { out.push_back({layer, point, v}); };
    auto norm = [&](const RowMatrix& x, const Tensor& weight, const Tensor& bias) {
        RowMatrix y;
        if (gpt2) cpu::layer_norm(x, vec(weight), vec(bias), c.norm_eps, y);
        else cpu::rms_norm(x, vec(weight), c.norm_eps, y);
        return y;
    };

    RowMatrix x(n, c.dim);
    for (int i = 0; i < n; ++i) {
        x.row(i) = mat(w.token_embedding).row(tokens[std::size_t(i)]);
        if (!w.position_embedding.empty()) x.row(i) += mat(w.position_embedding).row(i);
    }
    keep(-1, TapPoint::Embedding, x);
    for (int l = 0; l < c.n_layers; ++l) {
        const LayerWeights& lw = w.layers[std::size_t(l)];
        RowMatrix xb = norm(x, lw.attn_norm, lw.attn_norm_bias);
        keep(l, TapPoint::AttnNorm, xb);
        RowMatrix q = linear(xb, lw.wq, lw.bq), k = linear(xb, lw.wk, lw.bk), v = linear(xb, lw.wv, lw.bv);
        if (!gpt2) {
            cpu::rope(q, c.n_heads, hd, c.rotary_dim(), c.rope_theta, c.rope_style, 0);
            cpu::rope(k, c.n_kv_heads, hd, c.rotary_dim(), c.rope_theta, c.rope_style, 0);
        }
        keep(l, TapPoint::Query, q);
        keep(l, TapPoint::Key, k);
        keep(l, TapPoint::Value, v);
        RowMatrix att(n, c.dim);
        for (int h = 0; h < c.n_heads; ++h) {
            const int kvh = h / c.gqa_group();
            RowMatrix s = (q.middleCols(h * hd, hd) * k.middleCols(kvh * hd, hd).transpose()) * (1.0f / std::sqrt(float(hd)));
            for (int i = 0; i < n; ++i) {
                cpu::softmax(s.row(i).data(), i + 1);
                std::fill(s.row(i).data() + i + 1, s.row(i).data() + n, 0.0f);
            }
            att.middleCols(h * hd, hd) = s * v.middleCols(kvh * hd, hd);
        }
        keep(l, TapPoint::AttentionMix, att);
        xb = linear(att, lw.wo, lw.bo);
        keep(l, TapPoint::OutputProjection, xb);
        x += xb;
        keep(l, TapPoint::AttentionResidual, x);
        xb = norm(x, lw.ffn_norm, lw.ffn_norm_bias);
        keep(l, TapPoint::FfnNorm, xb);
        RowMatrix hidden;
        if (!gpt2) {
            hidden = linear(xb, lw.w_gate, {});
            const RowMatrix up = linear(xb, lw.w_up, lw.b_up);
            cpu::swiglu(hidden, up);
        } else {
            hidden = linear(xb, lw.w_up, lw.b_up);
            cpu::gelu_tanh(hidden);
        }
        keep(l, TapPoint::FfnHidden, hidden);
        xb = linear(hidden, lw.w_down, lw.b_down);
        keep(l, TapPoint::FfnOutput, xb);
        x += xb;
        keep(l, TapPoint::FfnResidual, x);
    }
    // The last row reaches the classifier.
    keep(-1, TapPoint::FinalNorm, norm(x, w.final_norm, w.final_norm_bias).bottomRows(1));
    return out;
}

struct Divergence {
    bool found = false;
    std::string where;  // "layer 2 output_projection: max diff 0.3"
    int layer = -2;
    TapPoint point = TapPoint::Count;
    std::string error;  // the tap and the reference do not line up
};

// Relative tolerance per tensor: F32 rounding differences grow with the values' magnitude.
inline Divergence first_divergence(const std::vector<Activation>& tapped, const std::vector<Checkpoint>& ref) {
    Divergence d;
    if (tapped.size() != ref.size() + 1) {  // + the logits
        d.error = "tap has " + std::to_string(tapped.size()) + " activations, reference " + std::to_string(ref.size());
        return d;
    }
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const Activation& a = tapped[i];
        const Checkpoint& r = ref[i];
        if (a.layer != r.layer || a.point != r.point || a.rows != r.value.rows() || a.cols != r.value.cols()) {
            d.error = "entry " + std::to_string(i) + " is " + to_string(a.point) + ", expected " + to_string(r.point);
            return d;
        }
        float worst = 0, scale = 1;
        for (std::size_t j = 0; j < a.values.size(); ++j) {
            worst = std::max(worst, std::abs(a.values[j] - r.value.data()[j]));
            scale = std::max(scale, std::abs(r.value.data()[j]));
        }
        if (worst > 1e-5f * scale) {
            d.found = true;
            d.layer = a.layer;
            d.point = a.point;
            d.where = "layer " + std::to_string(a.layer) + " " + to_string(a.point) + ": max diff " +
                      std::to_string(worst) + " (values up to " + std::to_string(scale) + ")";
            return d;
        }
    }
    return d;
}

}  // namespace kvs::test
