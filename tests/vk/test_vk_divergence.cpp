// The activation dump of VulkanBackend against a step-by-step CPU reference of the same ops:
// the first (layer, op, tensor) whose values differ is reported, so a broken kernel is named
// rather than seen only as wrong logits. Also checks that the facility finds a planted fault.
#include <QtTest>

#include <cmath>

#include "cpu/cpu_kernels.h"
#include "model/synthetic_model.h"
#include "shader_harness.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;
using cpu::RowMatrix;

namespace {

struct Checkpoint {
    int layer;
    OpKind op;
    std::string tensor;
    RowMatrix value;
};

Eigen::Map<const RowMatrix> mat(const Tensor& t) { return {t.f32(), t.rows, t.cols}; }  // F32, owned or in place
cpu::ConstRowVectorMap vec(const Tensor& t) { return {t.data.data(), t.cols}; }

RowMatrix linear(const RowMatrix& in, const Tensor& w, const Tensor& b) {
    RowMatrix out = in * mat(w).transpose();
    if (!b.empty()) out.rowwise() += vec(b);
    return out;
}

// The CPU backend's math for one prefill from position 0, keeping every intermediate in the
// order VulkanBackend dumps them.
std::vector<Checkpoint> reference_pass(const Model& model, const std::vector<int>& tokens) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    const int n = int(tokens.size()), hd = c.head_dim();
    const bool gpt2 = c.arch == Architecture::Gpt2;
    std::vector<Checkpoint> out;
    auto keep = [&](int layer, OpKind op, const char* name, const RowMatrix& v) { out.push_back({layer, op, name, v}); };
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
    keep(-1, OpKind::Embedding, "x", x);
    for (int l = 0; l < c.n_layers; ++l) {
        const LayerWeights& lw = w.layers[std::size_t(l)];
        RowMatrix xb = norm(x, lw.attn_norm, lw.attn_norm_bias);
        keep(l, OpKind::AttnNorm, "xb", xb);
        RowMatrix q = linear(xb, lw.wq, lw.bq), k = linear(xb, lw.wk, lw.bk), v = linear(xb, lw.wv, lw.bv);
        keep(l, OpKind::QkvProjection, "q", q);
        keep(l, OpKind::QkvProjection, "k", k);
        keep(l, OpKind::QkvProjection, "v", v);
        if (!gpt2) {
            cpu::rope(q, c.n_heads, hd, c.rotary_dim(), c.rope_theta, c.rope_style, 0);
            cpu::rope(k, c.n_kv_heads, hd, c.rotary_dim(), c.rope_theta, c.rope_style, 0);
            keep(l, OpKind::Rope, "q", q);
            keep(l, OpKind::Rope, "k", k);
        }
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
        keep(l, OpKind::AttentionValues, "att", att);
        xb = linear(att, lw.wo, lw.bo);
        keep(l, OpKind::OutputProjection, "xb", xb);
        x += xb;
        keep(l, OpKind::Residual, "x", x);
        xb = norm(x, lw.ffn_norm, lw.ffn_norm_bias);
        keep(l, OpKind::FfnNorm, "xb", xb);
        RowMatrix hidden;
        if (!gpt2) {
            hidden = linear(xb, lw.w_gate, {});
            keep(l, OpKind::FfnGate, "hidden", hidden);
            const RowMatrix up = linear(xb, lw.w_up, lw.b_up);
            keep(l, OpKind::FfnUp, "up", up);
            cpu::swiglu(hidden, up);
        } else {
            hidden = linear(xb, lw.w_up, lw.b_up);
            keep(l, OpKind::FfnUp, "hidden", hidden);
            cpu::gelu_tanh(hidden);
        }
        keep(l, OpKind::FfnActivation, "hidden", hidden);
        xb = linear(hidden, lw.w_down, lw.b_down);
        keep(l, OpKind::FfnDown, "xb", xb);
        x += xb;
        keep(l, OpKind::Residual, "x", x);
    }
    keep(-1, OpKind::FinalNorm, "xb", norm(x, w.final_norm, w.final_norm_bias));
    return out;
}

struct Divergence {
    bool found = false;
    std::string where;  // "layer 2 output_projection xb: max diff 0.3"
    int layer = -2;
    OpKind op = OpKind::Count;
    std::string error;  // the dump and the reference do not line up
};

// Relative tolerance per tensor: F32 rounding differences grow with the values' magnitude.
Divergence first_divergence(const std::vector<ActivationDump>& dumps, const std::vector<Checkpoint>& ref) {
    Divergence d;
    if (dumps.size() != ref.size()) {
        d.error = "dump has " + std::to_string(dumps.size()) + " tensors, reference " + std::to_string(ref.size());
        return d;
    }
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const ActivationDump& a = dumps[i];
        const Checkpoint& r = ref[i];
        if (a.layer != r.layer || a.op != r.op || a.tensor != r.tensor || a.rows != r.value.rows() || a.cols != r.value.cols()) {
            d.error = "entry " + std::to_string(i) + " is " + to_string(a.op) + "/" + a.tensor + ", expected " +
                      to_string(r.op) + "/" + r.tensor;
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
            d.op = a.op;
            d.where = "layer " + std::to_string(a.layer) + " " + to_string(a.op) + " " + a.tensor +
                      ": max diff " + std::to_string(worst) + " (values up to " + std::to_string(scale) + ")";
            return d;
        }
    }
    return d;
}

}  // namespace

class TestVkDivergence : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_;
    int validation_before_ = 0;
    const std::vector<int> ids_{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

    Divergence check(std::shared_ptr<const Model> gpu_model, const Model& reference_model, const std::vector<int>& ids) {
        auto vk = test::make_vulkan(std::move(gpu_model));
        vk->set_activation_dump(true);
        ForwardOutput out;
        if (!vk->forward(ids, 0, false, {}, out).ok()) return {false, "", -2, OpKind::Count, "forward failed"};
        return first_divergence(vk->activation_dumps(), reference_pass(reference_model, ids));
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        stories_ = *m;
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void storiesHasNoDivergence() {
        const Divergence d = check(stories_, *stories_, ids_);
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY2(!d.found, qPrintable("first divergence from the CPU reference: " + QString::fromStdString(d.where)));
    }

    void gpt2ShapeHasNoDivergence() {
        auto m = make_synthetic_model("gpt2-124m", 1, 3);
        QVERIFY(m.ok());
        auto small = std::make_shared<Model>(**m);
        const Divergence d = check(small, *small, {10, 20, 30, 40});
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY2(!d.found, qPrintable("first divergence from the CPU reference: " + QString::fromStdString(d.where)));
    }

    // A fault planted in layer 2's output projection (one weight changed on the GPU copy only)
    // is reported at exactly that layer and op, not earlier and not as a generic logit error.
    void plantedFaultIsLocated() {
        auto faulty = std::make_shared<Model>(*stories_);
        Tensor& wo = faulty->weights.layers[2].wo;
        wo = Tensor{wo.to_f32(), wo.rows, wo.cols};  // an owned copy (the file's rows are read-only)
        wo.data[5] += 0.5f;
        const Divergence d = check(faulty, *stories_, ids_);
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY(d.found);
        qInfo("planted fault reported as: %s", d.where.c_str());
        QCOMPARE(d.layer, 2);
        QCOMPARE(d.op, OpKind::OutputProjection);
    }
};

QTEST_GUILESS_MAIN(TestVkDivergence)
#include "test_vk_divergence.moc"
