// Models whose matrices the file stores in block types, on the Vulkan backend: a 256-wide
// synthetic model written in every block type the writer makes (kept in its blocks on the
// device and decoded by the shaders as they read it) generates what the CPU generates from the
// same blocks, and SmolLM2-135M-Instruct in Q4_1 meets the independent references
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
    void initTestCase() {
        if (auto ctx = vk::VulkanContext::create({.device = "", .validation = true}); !ctx.ok())
            QSKIP(qPrintable(QString::fromStdString("no Vulkan device: " + ctx.message())));
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    // Every type the writer makes: the device keeps the file's blocks (bytes per value worked
    // out from ggml's block sizes: Q4_K's 144 bytes per 256 values, and so on), holds as many
    // weight bytes as the CPU backend reads in place, and generates what the CPU generates.
    void storedTypesMatchTheCpu() {
        auto synthetic = make_synthetic_model(test::quant_test_config(), "synthetic:quant-test", 5);
        QVERIFY(synthetic.ok());
        const struct {
            GgmlType type;
            const char* file;
            double bytes_per_value;
        } cases[] = {{GgmlType::Q4_K, "q4k.gguf", 144.0 / 256}, {GgmlType::Q6_K, "q6k.gguf", 210.0 / 256},
                     {GgmlType::Q5_K, "q5k.gguf", 176.0 / 256}, {GgmlType::Q8_0, "q8_0.gguf", 34.0 / 32},
                     {GgmlType::Q4_0, "q4_0.gguf", 18.0 / 32},  {GgmlType::Q4_1, "q4_1.gguf", 20.0 / 32},
                     {GgmlType::Q5_0, "q5_0.gguf", 22.0 / 32},  {GgmlType::Q5_1, "q5_1.gguf", 24.0 / 32},
                     {GgmlType::BF16, "bf16.gguf", 2.0},        {GgmlType::F16, "f16.gguf", 2.0}};
        for (const auto& c : cases) {
            const auto q = test::written_and_loaded(**synthetic, c.type, dir_.filePath(c.file).toStdString());
            BackendOptions o;
            o.f16_weights = true;  // applies to F32 matrices only: stored types stay as they are
            auto vk = test::make_vulkan(q, o);
            auto cpu = test::make_cpu(q);
            QCOMPARE(vk->weight_bytes(), c.bytes_per_value);
            QCOMPARE(vk->weight_storage_bytes(), cpu->weight_storage_bytes());
            const auto r = test::greedy_lockstep(*vk, *cpu, {3 + 'O', 3 + 'n', 3 + 'c', 3 + 'e'}, 10, 300);
            qInfo("%s on Vulkan: max |logit diff| %g against the CPU (logit rms %g), %lld weight bytes on the device",
                  c.file, double(r.max_diff), double(r.logit_rms), static_cast<long long>(vk->weight_storage_bytes()));
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
