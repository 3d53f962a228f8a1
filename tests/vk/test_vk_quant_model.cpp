// Models whose matrices the file stores in block types, on the Vulkan backend: a 256-wide
// synthetic model written in Q4_K and Q6_K (decoded at upload) generates what the CPU generates
// from the same values, and SmolLM2-135M-Instruct in Q4_1 meets the independent references
// (tests/support/smollm2_reference.h) when the model file is present.
#include <QtTest>

#include "lockstep.h"
#include "quant_model_cases.h"
#include "shader_harness.h"
#include "smollm2_reference.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkQuantModel : public QObject {
    Q_OBJECT
    int validation_before_ = 0;
    QTemporaryDir dir_;

private slots:
    void initTestCase() { validation_before_ = vk::validation_message_count(); }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void kTypesMatchTheCpu() {
        auto synthetic = make_synthetic_model(test::quant_test_config(), "synthetic:quant-test", 5);
        QVERIFY(synthetic.ok());
        for (const auto& [type, file] : {std::pair{GgmlType::Q4_K, "q4k.gguf"}, std::pair{GgmlType::Q6_K, "q6k.gguf"}}) {
            const auto q = test::written_and_loaded(**synthetic, type, dir_.filePath(file).toStdString());
            auto vk = test::make_vulkan(q);
            auto cpu = test::make_cpu(q);
            const auto r = test::greedy_lockstep(*vk, *cpu, {3 + 'O', 3 + 'n', 3 + 'c', 3 + 'e'}, 10, 300);
            qInfo("%s on Vulkan: max |logit diff| %g against the CPU (logit rms %g)", file, double(r.max_diff),
                  double(r.logit_rms));
            QCOMPARE(r.ids, r.ids_b);
            // Both compute in F32 from identical decoded values; only summation orders differ.
            QVERIFY(r.max_diff <= 1e-4f * std::max(1.0f, r.logit_rms));
        }
    }

    void smollm2MatchesTheReferences() {
        if (!test::have_smollm2()) QSKIP(test::smollm2_missing().c_str());
        auto m = load_model(test::smollm2_gguf());
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        BackendOptions o;
        o.kv_capacity = 128;
        auto vk = test::make_vulkan(*m, o);
        test::check_smollm2_greedy(*vk, test::smollm2_reference(), "vulkan");
    }
};

QTEST_APPLESS_MAIN(TestVkQuantModel)
#include "test_vk_quant_model.moc"
