// The analytic cost model against hand-computed numbers, exact cached/uncached ratios and
// Kaplan et al.'s C_forward = 2N + 2 n_layer n_ctx d_attn (docs/COST_MODEL.md).
#include <QtTest>

#include <cmath>
#include <map>

#include "core/cost_model.h"

using namespace kvs;

namespace {

ModelConfig llama_shape(const char* name, int dim, int hidden, int layers, int heads, int kv_heads, int vocab,
                        int ctx) {
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.name = name;
    c.dim = dim;
    c.hidden_dim = hidden;
    c.n_layers = layers;
    c.n_heads = heads;
    c.n_kv_heads = kv_heads;
    c.vocab_size = vocab;
    c.max_seq_len = ctx;
    return c;
}

ModelConfig llama2_7b() { return llama_shape("llama-2-7b", 4096, 11008, 32, 32, 32, 32000, 4096); }
ModelConfig llama3_8b() { return llama_shape("llama-3-8b", 4096, 14336, 32, 32, 8, 128256, 8192); }
ModelConfig gpt2_124m() {
    ModelConfig c = llama_shape("gpt2-124m", 768, 3072, 12, 12, 12, 50257, 1024);
    c.arch = Architecture::Gpt2;
    c.tied_classifier = true;
    return c;
}

ModelConfig stories260k() { return llama_shape("stories260k", 64, 172, 5, 8, 4, 512, 512); }

// The tiny shape of the hand-computed case: head_dim 2, kv_dim 2, GQA group 2.
ModelConfig tiny() { return llama_shape("tiny", 4, 8, 1, 2, 1, 10, 16); }

CostParams pass(int first_pos, int n_tokens, bool all_logits = false) {
    CostParams p;
    p.first_pos = first_pos;
    p.n_tokens = n_tokens;
    p.all_logits = all_logits;
    return p;
}

// FLOPs per op kind summed over layers.
std::map<OpKind, double> flops_by_op(const std::vector<OpCost>& costs) {
    std::map<OpKind, double> m;
    for (const auto& c : costs) m[c.op] += c.flops;
    return m;
}

const OpCost& find_op(const std::vector<OpCost>& costs, OpKind op, int layer) {
    for (const auto& c : costs)
        if (c.op == op && c.layer == layer) return c;
    static OpCost missing{};
    missing.flops = -1;
    return missing;
}

// Kaplan's N: parameters outside the token/position embeddings and the classifier.
double non_embedding_params(const ModelConfig& c) {
    double embedding = double(c.vocab_size) * c.dim * (c.tied_classifier ? 1 : 2);
    if (c.arch == Architecture::Gpt2) embedding += double(c.max_seq_len) * c.dim;
    return double(c.parameter_count()) - embedding;
}

// Forward FLOPs without the embedding lookup and the classifier (Kaplan's C_forward leaves both out).
double block_flops(const ModelConfig& c, const CostParams& p) {
    double f = 0;
    for (const auto& op : forward_costs(c, p))
        if (op.op != OpKind::Embedding && op.op != OpKind::Classifier) f += op.flops;
    return f;
}

}  // namespace

class TestCostModel : public QObject {
    Q_OBJECT

private slots:
    void hand_computed_prefill() {
        const auto costs = forward_costs(tiny(), pass(0, 3));
        // 2 n d (d + 2 kv) = 2*3*4*8
        QCOMPARE(find_op(costs, OpKind::QkvProjection, 0).flops, 192.0);
        // causal entries: heads * (1 + 2 + 3) = 12; each (2 head_dim + 1 scale)
        QCOMPARE(find_op(costs, OpKind::AttentionScores, 0).flops, 60.0);
        QCOMPARE(find_op(costs, OpKind::Softmax, 0).flops, 60.0);
        QCOMPARE(find_op(costs, OpKind::AttentionValues, 0).flops, 48.0);
        QCOMPARE(find_op(costs, OpKind::OutputProjection, 0).flops, 96.0);
        QCOMPARE(find_op(costs, OpKind::FfnGate, 0).flops, 192.0);
        QCOMPARE(find_op(costs, OpKind::FfnUp, 0).flops, 192.0);
        QCOMPARE(find_op(costs, OpKind::FfnActivation, 0).flops, 96.0);
        QCOMPARE(find_op(costs, OpKind::FfnDown, 0).flops, 192.0);
        // 3 FLOPs per rotated element of Q (2 heads) and K (1 head), 2 dims each, 3 positions
        QCOMPARE(find_op(costs, OpKind::Rope, 0).flops, 54.0);
        QCOMPARE(find_op(costs, OpKind::AttnNorm, 0).flops, 48.0);
        QCOMPARE(find_op(costs, OpKind::Residual, 0).flops, 24.0);
        QCOMPARE(find_op(costs, OpKind::FinalNorm, -1).flops, 16.0);    // last position only
        QCOMPARE(find_op(costs, OpKind::Classifier, -1).flops, 80.0);   // 2 * 4 * 10
        QCOMPARE(find_op(costs, OpKind::Embedding, -1).flops, 0.0);
        QCOMPARE(total(costs).flops, 1398.0);
        QCOMPARE(int(costs.size()), 1 + 14 + 2);  // embedding, 14 ops per Llama block, final norm, classifier
    }

    void hand_computed_bytes() {
        CostParams p = pass(0, 3);
        p.weight_bytes = 2;
        p.kv_bytes = 2;
        p.activation_bytes = 4;
        const auto costs = forward_costs(tiny(), p);
        const OpCost& kv = find_op(costs, OpKind::KvWrite, 0);
        QCOMPARE(kv.bytes_read, 48.0);     // K, V [3, 2] as F32 activations
        QCOMPARE(kv.bytes_written, 24.0);  // stored at 2 bytes
        const OpCost& scores = find_op(costs, OpKind::AttentionScores, 0);
        QCOMPARE(scores.bytes_read, 60.0);     // Q [3, 4] * 4 + K [3, 2] * 2
        QCOMPARE(scores.bytes_written, 48.0);  // 12 scores * 4
        const OpCost& qkv = find_op(costs, OpKind::QkvProjection, 0);
        QCOMPARE(qkv.bytes_read, 112.0);  // W [8, 4] * 2 + x [3, 4] * 4
        QCOMPARE(qkv.bytes_written, 96.0);

        // A cached decode step at position 3 attends 4 keys per head.
        const auto step = forward_costs(tiny(), [&] { CostParams q = p; q.first_pos = 3; q.n_tokens = 1; return q; }());
        QCOMPARE(find_op(step, OpKind::Softmax, 0).flops, 40.0);
        QCOMPARE(find_op(step, OpKind::AttentionValues, 0).bytes_read, 48.0);  // 8 probs * 4 + V [4, 2] * 2
        QCOMPARE(total(step).bytes, [&] {
            double b = 0;
            for (const auto& c : step) b += c.bytes_read + c.bytes_written;
            return b;
        }());
    }

    void gpt2_ops_and_biases() {
        ModelConfig c = tiny();
        c.arch = Architecture::Gpt2;
        c.n_kv_heads = c.n_heads;  // kv_dim 4
        const auto costs = forward_costs(c, pass(0, 2));
        QCOMPARE(find_op(costs, OpKind::Rope, 0).flops, -1.0);     // no RoPE in GPT-2
        QCOMPARE(find_op(costs, OpKind::FfnGate, 0).flops, -1.0);  // no gate
        QCOMPARE(find_op(costs, OpKind::Embedding, -1).flops, 8.0);          // + positions [2, 4]
        QCOMPARE(find_op(costs, OpKind::QkvProjection, 0).flops, 2.0 * 2 * 4 * 12 + 2 * 12);
        QCOMPARE(find_op(costs, OpKind::AttnNorm, 0).flops, 7.0 * 2 * 4);
        QCOMPARE(find_op(costs, OpKind::FfnActivation, 0).flops, 9.0 * 2 * 8);
        QCOMPARE(find_op(costs, OpKind::FfnDown, 0).flops, 2.0 * 2 * 8 * 4 + 2 * 4);
    }

    void uncached_linear_parts_scale_exactly() {
        for (const ModelConfig& c : {llama2_7b(), gpt2_124m(), tiny()}) {
            for (int t : {0, 1, 7, 100}) {
                for (bool all_logits : {false, true}) {
                    const auto cached = flops_by_op(forward_costs(c, pass(t, 1, all_logits)));
                    const auto uncached = flops_by_op(forward_costs(c, pass(0, t + 1, all_logits)));
                    std::vector<OpKind> linear = {OpKind::QkvProjection, OpKind::OutputProjection, OpKind::FfnUp,
                                                  OpKind::FfnDown,       OpKind::FfnActivation,    OpKind::AttnNorm,
                                                  OpKind::FfnNorm,       OpKind::Residual,         OpKind::Embedding};
                    if (c.arch == Architecture::Llama) {
                        linear.push_back(OpKind::FfnGate);
                        linear.push_back(OpKind::Rope);
                    }
                    if (all_logits) {
                        linear.push_back(OpKind::Classifier);
                        linear.push_back(OpKind::FinalNorm);
                    } else {
                        QCOMPARE(uncached.at(OpKind::Classifier), cached.at(OpKind::Classifier));
                    }
                    for (OpKind op : linear)
                        QCOMPARE(uncached.at(op), (t + 1) * cached.at(op));
                    // Attention: the cached step reads t + 1 keys (O(t)); the uncached step
                    // computes the whole triangle, (t + 1)(t + 2) / 2 entries (O(t^2)).
                    for (OpKind op : {OpKind::AttentionScores, OpKind::Softmax, OpKind::AttentionValues}) {
                        const double per_entry = cached.at(op) / (double(c.n_heads) * c.n_layers * (t + 1));
                        QCOMPARE(uncached.at(op), per_entry * c.n_heads * c.n_layers * (t + 1) * (t + 2) / 2.0);
                        QCOMPARE(uncached.at(op) / cached.at(op), (t + 2) / 2.0);
                    }
                }
            }
        }
    }

    void prefill_equals_sum_of_cached_steps() {
        // Causal attention is counted exactly, so a prefill of P tokens with every logit costs
        // exactly what P cached decode steps cost.
        const ModelConfig c = llama3_8b();
        double steps = 0;
        for (int t = 0; t < 64; ++t) steps += total(forward_costs(c, pass(t, 1, true))).flops;
        QCOMPARE(total(forward_costs(c, pass(0, 64, true))).flops, steps);
    }

    void kaplan_forward_flops_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("n_ctx");
        QTest::newRow("llama-2-7b@4096") << 0 << 4096;
        QTest::newRow("llama-2-7b@512") << 0 << 512;
        QTest::newRow("gpt2-124m@1024") << 1 << 1024;
        QTest::newRow("llama-3-8b@8192") << 2 << 8192;
    }
    void kaplan_forward_flops() {
        QFETCH(int, which);
        QFETCH(int, n_ctx);
        const ModelConfig c = which == 0 ? llama2_7b() : which == 1 ? gpt2_124m() : llama3_8b();
        const double n = non_embedding_params(c);
        const double d_attn = double(c.n_heads) * c.head_dim();
        // Kaplan's per-token figure averages over a context of n_ctx under the causal mask: the
        // token at position p attends p + 1 keys, QK^T and PV cost 2 d_attn FLOPs per key each,
        // so the mean over p of 4 d_attn (p + 1) is 2 d_attn (n_ctx + 1) ~= 2 n_ctx d_attn.
        const double kaplan = 2.0 * n + 2.0 * c.n_layers * n_ctx * d_attn;
        double sum = 0;
        for (int t = 0; t < n_ctx; ++t) sum += block_flops(c, pass(t, 1));
        const double mean_step = sum / n_ctx;
        const double rel = std::abs(mean_step - kaplan) / kaplan;
        qInfo("%s: mean cached step %.6g FLOPs, Kaplan %.6g, relative difference %.3g%%", QTest::currentDataTag(),
              mean_step, kaplan, rel * 100);
        QVERIFY2(rel < 0.005, "mean cached decode step differs from Kaplan's C_forward by 0.5% or more");
        // The same mean, from the prefill's side.
        QVERIFY(std::abs(block_flops(c, pass(0, n_ctx, true)) / n_ctx - mean_step) < 1e-9 * kaplan);

        // One cached decode step whose query attends all n_ctx keys does twice Kaplan's
        // attention work (both matmuls over the whole context, no causal average).
        const double last_step = block_flops(c, pass(n_ctx - 1, 1));
        const double kaplan_last = 2.0 * n + 4.0 * c.n_layers * n_ctx * d_attn;
        const double rel_last = std::abs(last_step - kaplan_last) / kaplan_last;
        QVERIFY2(rel_last < 0.01, qPrintable(QString("last step %1 vs %2").arg(last_step).arg(kaplan_last)));
    }

    // The worked numbers of docs/COST_MODEL.md, so that the page and the code stay in step.
    void documented_worked_numbers() {
        const CostTotals prefill = total(forward_costs(stories260k(), pass(0, 16)));
        QCOMPARE(prefill.flops, 7651712.0);
        QCOMPARE(prefill.bytes, 2000960.0);
        const auto step = forward_costs(stories260k(), pass(100, 1));
        QCOMPARE(total(step).flops, 680512.0);
        QCOMPARE(total(step).bytes, 1290020.0);
        const auto s = flops_by_op(step);
        QCOMPARE(s.at(OpKind::AttentionScores) + s.at(OpKind::Softmax) + s.at(OpKind::AttentionValues), 153520.0);

        CostParams decode = pass(4095, 1);
        decode.weight_bytes = 2;
        decode.kv_bytes = 2;
        const auto l = forward_costs(llama2_7b(), decode);
        QCOMPARE(total(l).flops, 15390326784.0);
        QCOMPARE(total(l).bytes, 15452615684.0);
        const auto f = flops_by_op(l);
        QCOMPARE(f.at(OpKind::QkvProjection), 3221225472.0);
        QCOMPARE(f.at(OpKind::AttentionScores), 1077936128.0);
        QCOMPARE(f.at(OpKind::FfnGate), 2885681152.0);
        QCOMPARE(f.at(OpKind::Classifier), 262144000.0);
        CostParams prefill512 = pass(0, 512);
        prefill512.weight_bytes = 2;
        prefill512.kv_bytes = 2;
        QCOMPARE(total(forward_costs(llama2_7b(), prefill512)).flops, 6703147401216.0);
    }

    void empty_pass_has_no_ops() { QVERIFY(forward_costs(tiny(), pass(5, 0)).empty()); }

    void arithmetic_intensity_prefill_vs_decode() {
        // Decode at F16 weights is memory bound (about 1 FLOP per byte); a long prefill is not.
        CostParams decode = pass(100, 1);
        decode.weight_bytes = 2;
        CostParams prefill = pass(0, 512);
        prefill.weight_bytes = 2;
        const double ai_decode = total(forward_costs(llama2_7b(), decode)).arithmetic_intensity();
        const double ai_prefill = total(forward_costs(llama2_7b(), prefill)).arithmetic_intensity();
        QVERIFY2(ai_decode > 0.9 && ai_decode < 1.1, qPrintable(QString::number(ai_decode)));
        QVERIFY2(ai_prefill > 100, qPrintable(QString::number(ai_prefill)));
    }
};

QTEST_APPLESS_MAIN(TestCostModel)
#include "test_cost_model.moc"
