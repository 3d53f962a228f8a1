// Synthetic models in the GUI get the real vocabulary of their shape and the model panel says
// their weights are random; a real model's summary does not. The generation panel offers the
// f16 cache on the CPU backend, and a CPU run with it reports half the bytes.
#include <QComboBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>

#include "engine_controller.h"
#include "generation_panel.h"
#include "model_panel.h"
#include "run_data.h"
#include "test_paths.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;

ModelInfo load(EngineController& controller, const QString& preset) {
    QSignalSpy loaded(&controller, &EngineController::modelLoaded);
    QSignalSpy errors(&controller, &EngineController::errorOccurred);
    controller.loadSynthetic(preset, 1);
    if (!QTest::qWaitFor([&] { return loaded.count() > 0 || errors.count() > 0; }, kTimeoutMs)) return {};
    if (!errors.isEmpty()) qWarning("%s", qPrintable(errors.at(0).at(0).toString()));
    return loaded.isEmpty() ? ModelInfo{} : loaded.at(0).at(0).value<ModelInfo>();
}
}  // namespace

class TestSyntheticAndF16 : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        // The vocabularies are found through $KVSCOPE_MODEL_PATH, whatever folder the test runs in.
        qputenv("KVSCOPE_MODEL_PATH", QByteArray::fromStdString(kvs::test::shared_path("models")));
    }

    void syntheticModelSaysRandomWeightsAndItsVocabulary() {
        EngineController controller;
        const ModelInfo info = load(controller, "stories15m");  // Llama 2's 32000-token vocabulary
        QCOMPARE(info.format, QString("synthetic"));
        QVERIFY(info.random_weights);
        QCOMPARE(info.tokenizer_name, QString("Llama 2, 32000 tokens"));
        QVERIFY2(info.tokenizer_note.contains("llama2-tokenizer/tokenizer.bin"), qPrintable(info.tokenizer_note));
        QCOMPARE(info.default_prompt, QString("Once upon a time"));

        ModelPanel panel;
        panel.showModel(info);
        QVERIFY2(panel.summaryText().contains("Random weights"), qPrintable(panel.summaryText()));
        QVERIFY2(panel.summaryText().contains("Tokenizer: Llama 2, 32000 tokens"), qPrintable(panel.summaryText()));
        QVERIFY(panel.findChild<QLabel*>("modelInfo")->toolTip().contains("llama2-tokenizer/tokenizer.bin"));

        // A shape whose vocabulary is not in ../shared/models (GPT-2's) keeps bytes, and the panel
        // says so.
        const ModelInfo gpt2 = load(controller, "gpt2-124m");
        QCOMPARE(gpt2.tokenizer_name, QString("bytes"));
        QVERIFY2(gpt2.tokenizer_note.contains("GPT-2 vocabulary") && gpt2.tokenizer_note.contains("not found"),
                 qPrintable(gpt2.tokenizer_note));
        panel.showModel(gpt2);
        QVERIFY(panel.summaryText().contains("Random weights"));
        QVERIFY2(panel.summaryText().contains("Tokenizer: one token per byte"), qPrintable(panel.summaryText()));
    }

    void realModelIsNotCalledRandom() {
        EngineController controller;
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        controller.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                             QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
        const auto info = loaded.at(0).at(0).value<ModelInfo>();
        QVERIFY(!info.random_weights);
        ModelPanel panel;
        panel.showModel(info);
        QVERIFY(!panel.summaryText().contains("Random"));
        QVERIFY(!panel.summaryText().contains("Tokenizer:"));
    }

    void f16CacheIsOfferedOnTheCpu() {
        GenerationPanel panel;
        panel.setBackend("cpu");
        auto* dtype = panel.findChild<QComboBox*>("kvDtypeCombo");
        QVERIFY(dtype);
        QVERIFY(dtype->isEnabled());
        dtype->setCurrentIndex(dtype->findData(int(kvs::KvDtype::F16)));
        QCOMPARE(panel.settings().kv_dtype, kvs::KvDtype::F16);
        QCOMPARE(panel.settings().backend, QString("cpu"));
        panel.setBackend("vulkan");
        QVERIFY(dtype->isEnabled());
    }

    // stories260K: 2 x 5 layers x 4 KV heads x head_dim 8 = 320 values per token, 640 bytes in
    // f16 (1280 in f32). After the prefill of BOS + 4 prompt tokens the sequence holds one block
    // of 16 positions: 16 x 640 = 10,240 bytes.
    void cpuRunWithF16CacheReportsHalfTheBytes() {
        EngineController controller;
        RunData run;
        connect(&controller, &EngineController::eventsReady, &run, &RunData::append);
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        QSignalSpy backend(&controller, &EngineController::backendInfo);
        controller.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                             QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);

        GenerationPanel panel;
        panel.setPrompt(kvs::test::kStoriesPrompt);
        panel.setBackend("cpu");
        auto* dtype = panel.findChild<QComboBox*>("kvDtypeCombo");
        dtype->setCurrentIndex(dtype->findData(int(kvs::KvDtype::F16)));
        RunSettings settings = panel.settings();
        settings.sampling = kvs::SamplingOptions{};  // greedy
        controller.configure(settings);
        controller.prefill();
        QTRY_VERIFY_WITH_TIMEOUT(!run.steps().empty() || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QCOMPARE(backend.at(0).at(0).toString(), QString("cpu"));
        QCOMPARE(run.run().kv_layout.dtype, kvs::KvDtype::F16);
        QCOMPARE(run.run().kv_layout.bytes_per_token(), 640);
        QCOMPARE(run.kvPoints().back().total_bytes_used, 10240);
        // The prefill's greedy token is llama2.c's (F16 keeps the greedy ids, test_cpu_f16_cache).
        QCOMPARE(run.tokens().back().id, kvs::test::kStoriesGreedyIds[5]);
    }
};

QTEST_MAIN(TestSyntheticAndF16)
#include "test_synthetic_and_f16.moc"
