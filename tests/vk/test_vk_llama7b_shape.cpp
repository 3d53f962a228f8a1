// A llama-2-7b-shaped synthetic model (dim 4096, hidden 11008, 32 heads, vocabulary 32000,
// rotate-half RoPE) cut to 2 layers, with F16 weights and cache on the test device. Its
// 32000x4096 F16 embedding and classifier are 250 MiB each, twice lavapipe's 128 MiB binding
// limit, so both run in row chunks; the CPU backend (F32 weights) is the reference.
#include <QtTest>

#include <chrono>

#include "model/synthetic_model.h"
#include "shader_harness.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkLlama7bShape : public QObject {
    Q_OBJECT
    int validation_before_ = 0;

private slots:
    void initTestCase() { validation_before_ = vk::validation_message_count(); }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void twoLayersInF16MatchCpu() {
        using Clock = std::chrono::steady_clock;
        auto t0 = Clock::now();
        auto m = make_synthetic_model("llama-2-7b", 2, 11);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        std::shared_ptr<const Model> model = *m;
        QCOMPARE(model->config.dim, 4096);
        QCOMPARE(model->config.rope_style, RopeStyle::HalfRotate);
        BackendOptions o;
        o.f16_weights = true;
        o.kv_dtype = KvDtype::F16;
        o.kv_capacity = 16;
        o.measure_ops = true;
        auto t1 = Clock::now();
        auto vk = test::make_vulkan(model, o);
        auto t2 = Clock::now();
        BackendOptions co;
        co.kv_capacity = 16;
        auto cpu = test::make_cpu(model, co);

        const std::vector<int> prompt = {1, 15043, 29892, 3186};
        const auto r = test::greedy_lockstep(*vk, *cpu, prompt, 2, model->config.vocab_size);
        auto t3 = Clock::now();
        auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
        qInfo("synthetic weights %.1fs, upload %.1fs, prefill + 2 steps on both backends %.1fs; max |logit diff| %g "
              "(logit rms %g)", secs(t0, t1), secs(t1, t2), secs(t2, t3), r.max_diff, r.logit_rms);
        // Measured on lavapipe: max diff 6.3e-3 with logits of rms 1.28 (0.5%). F16 rounding is
        // up to 2^-11 relative per weight; over a 4096-long classifier dot product of unit-RMS
        // activations with N(0, 0.02) weights that is ~4e-4 per logit (1 sigma), ~2e-3 at the
        // extreme of 32000 logits, plus what the two blocks before it add. 2e-2 (1.5% of the
        // spread) keeps a 3x margin; a wrong kernel moves logits by O(rms).
        QVERIFY2(r.max_diff <= 2e-2f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QCOMPARE(vk->cache_length(), 6);
        QCOMPARE(vk->weight_bytes(), 2.0);

        // Per-op GPU times of a decode step cover both layers and the chunked classifier.
        ForwardOutput out;
        const int next = 100;
        QVERIFY(vk->forward(std::span<const int>(&next, 1), 6, false, {}, out).ok());
        QVERIFY(out.device_ms > 0);
        qInfo("decode step: %.0f ms of GPU time", out.device_ms);
        bool layer1_down = false, classifier = false;
        for (const OpTiming& t : out.op_times) {
            layer1_down |= t.layer == 1 && t.op == OpKind::FfnDown;
            classifier |= t.layer == -1 && t.op == OpKind::Classifier;
        }
        QVERIFY(layer1_down && classifier);
    }
};

QTEST_GUILESS_MAIN(TestVkLlama7bShape)
#include "test_vk_llama7b_shape.moc"
