// Whole models beyond stories260K against the CPU backend: a GPT-2 124M-shaped synthetic model
// (LayerNorm, learned positions, GELU, biases; its 50257x768 F32 embedding is 154 MB, above
// lavapipe's 128 MiB binding limit, so the embedding lookup and the classifier run in row
// chunks), and stories260K with Hugging Face's rotate-half RoPE convention.
#include <QtTest>

#include "model/synthetic_model.h"
#include "shader_harness.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkArchitectures : public QObject {
    Q_OBJECT
    int validation_before_ = 0;

private slots:
    void initTestCase() { validation_before_ = vk::validation_message_count(); }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void gpt2ShapedSyntheticMatchesCpu() {
        auto m = make_synthetic_model("gpt2-124m", 2, 7);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        std::shared_ptr<const Model> model = *m;
        QCOMPARE(model->config.arch, Architecture::Gpt2);
        BackendOptions o;
        o.kv_capacity = 32;
        auto vk = test::make_vulkan(model, o);
        QVERIFY(vk->kv_layout().capacity == 32);
        auto cpu = test::make_cpu(model, o);
        const auto r = test::greedy_lockstep(*vk, *cpu, {464, 2068, 7586, 21831, 18045}, 3, model->config.vocab_size);
        qInfo("gpt2-124m x2 layers F32: max |logit vk - cpu| = %g", r.max_diff);
        QVERIFY2(r.max_diff <= 1e-4f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QCOMPARE(r.ids, r.ids_b);
    }

    void rotateHalfRopeMatchesCpu() {
        auto loaded = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY(loaded.ok());
        auto model = std::make_shared<Model>(**loaded);
        model->config.rope_style = RopeStyle::HalfRotate;
        auto vk = test::make_vulkan(model);
        auto cpu = test::make_cpu(model);
        const auto r = test::greedy_lockstep(*vk, *cpu, {1, 403, 407, 261, 378}, 20, model->config.vocab_size);
        QVERIFY2(r.max_diff <= 1e-4f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QCOMPARE(r.ids, r.ids_b);
        // The convention matters: the adjacent-pair model gives other logits.
        auto adjacent = test::make_vulkan(*loaded);
        ForwardOutput a, b;
        const std::vector<int> ids = {1, 403, 407, 261, 378};
        QVERIFY(adjacent->forward(ids, 0, false, {}, a).ok());
        QVERIFY(test::make_vulkan(model)->forward(ids, 0, false, {}, b).ok());
        QVERIFY(test::max_abs_diff(a.logits, b.logits) > 1e-2f);
    }
};

QTEST_GUILESS_MAIN(TestVkArchitectures)
#include "test_vk_architectures.moc"
