// The engine controller: runs on its own thread, one batch per step, generation ids drop stale
// batches, pause resumes, errors arrive as messages. Uses stories260K (golden greedy ids) and
// a synthetic model.
#include <QSignalSpy>
#include <QTest>

#include "engine_controller.h"
#include "run_data.h"
#include "test_paths.h"
#include "token_list_model.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;

kvs::SamplingOptions greedy() { return kvs::SamplingOptions{}; }

kvs::AttentionCapture new_rows() {
    kvs::AttentionCapture c;
    c.mode = kvs::AttentionCapture::Mode::NewRows;
    return c;
}

int count_steps(const QList<QList<QVariant>>& batches) {
    int steps = 0;
    for (const auto& args : batches)
        for (const auto& e : args.at(0).value<EventBatch>()) steps += std::holds_alternative<kvs::StepFinished>(e);
    return steps;
}
}  // namespace

class TestEngineController : public QObject {
    Q_OBJECT
private slots:
    void stories260kFiftySteps() {
        EngineController controller;
        RunData run;
        TokenListModel tokens(&run);
        connect(&controller, &EngineController::eventsReady, &run, &RunData::append);
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        QSignalSpy batches(&controller, &EngineController::eventsReady);
        QSignalSpy backend(&controller, &EngineController::backendInfo);

        controller.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                             QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        const auto info = loaded.at(0).at(0).value<ModelInfo>();
        QCOMPARE(info.layers, 5);
        QCOMPARE(info.heads, 8);
        QCOMPARE(info.kv_heads, 4);
        QCOMPARE(info.kv_bytes_per_token_f32, 2LL * 5 * 4 * 8 * 4);

        controller.configure(kvs::test::kStoriesPrompt, greedy(), "cpu", true, new_rows());
        controller.prefill();
        controller.run(50);
        QTRY_VERIFY_WITH_TIMEOUT(run.finished().has_value() || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!controller.isBusy(), kTimeoutMs);

        // BOS + 4 prompt tokens, the prefill's token and 50 decode steps.
        const int prompt = 5;
        QCOMPARE(tokens.rowCount(), prompt + 51);
        for (int row = 0; row < tokens.rowCount(); ++row)
            QCOMPARE(tokens.index(row).data(TokenListModel::TokenIdRole).toInt(), kvs::test::kStoriesGreedyIds[row]);
        QCOMPARE(run.finished()->stop_reason, std::string("limit"));
        QCOMPARE(int(run.steps().size()), 51);
        // One batch per step, plus RunStarted and RunFinished in batches of their own.
        QCOMPARE(count_steps(batches), 51);
        QCOMPARE(batches.count(), 51 + 2);
        QCOMPARE(backend.count(), 1);
        QCOMPARE(backend.at(0).at(0).toString(), QString("cpu"));
        // The cache holds every position but the last sampled token: 5 + 50 positions of
        // 2 x 5 layers x 4 KV heads x head_dim 8 x 4 bytes, in 4 blocks of 16 positions, which
        // is what the allocator holds.
        QCOMPARE(info.kv_bytes_per_token_f32, 1280);
        QCOMPARE(run.kvPoints().back().total_bytes_used, 4 * 16 * 1280);
        QVERIFY(run.hasAttention());
    }

    void stepsOneAtATimeAndPauseResumes() {
        EngineController controller;
        RunData run;
        connect(&controller, &EngineController::eventsReady, &run, &RunData::append);
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        controller.loadSynthetic("stories260k", 0);
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QCOMPARE(loaded.at(0).at(0).value<ModelInfo>().format, QString("synthetic"));

        controller.configure("Once", greedy(), "cpu", true, {});
        QTRY_VERIFY_WITH_TIMEOUT(run.hasRun(), kTimeoutMs);
        controller.step();
        controller.step();
        QTRY_COMPARE_WITH_TIMEOUT(int(run.steps().size()), 2, kTimeoutMs);
        QCOMPARE(run.steps()[0].phase, kvs::Phase::Prefill);
        QCOMPARE(run.steps()[1].phase, kvs::Phase::Decode);

        // Pause as soon as steps flow (from the GUI thread, the moment the 6th step arrives);
        // the run stops between steps and does not finish.
        auto pauser = connect(&run, &RunData::stepsAppended, &controller, [&] {
            if (run.steps().size() > 5) controller.pause();
        });
        controller.run(400);
        QTRY_VERIFY_WITH_TIMEOUT(run.steps().size() > 5, kTimeoutMs);
        disconnect(pauser);
        QTRY_VERIFY_WITH_TIMEOUT(!controller.isBusy(), kTimeoutMs);
        const int paused_at = int(run.steps().size());
        QVERIFY2(paused_at < 402, qPrintable(QString::number(paused_at)));
        QVERIFY(!run.finished().has_value());

        // Resuming continues the same run: step numbers stay contiguous.
        controller.run(10);
        QTRY_VERIFY_WITH_TIMEOUT(run.finished().has_value(), kTimeoutMs);
        QCOMPARE(int(run.steps().size()), paused_at + 10);
        for (int i = 0; i < int(run.steps().size()); ++i) QCOMPARE(run.steps()[std::size_t(i)].step, i);
        QVERIFY(errors.isEmpty());

        // A finished run refuses more steps with a message, and does not crash.
        controller.step();
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kTimeoutMs);
        QVERIFY2(errors.at(0).at(0).toString().contains("Reset"), qPrintable(errors.at(0).at(0).toString()));
    }

    void cancelDropsStaleBatches() {
        EngineController controller;
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        // stories42M's shape: 450 steps take seconds, so the run is still going when cancel()
        // comes (stories260K's 450 steps could all be done before the first check of the batches).
        controller.loadSynthetic("stories42m", 0);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
        QSignalSpy batches(&controller, &EngineController::eventsReady);
        controller.configure("Once", greedy(), "cpu", true, {});
        controller.run(450);
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() > 3, kTimeoutMs);
        const quint64 before = controller.generation();
        controller.cancel();
        QVERIFY(controller.generation() > before);
        const int delivered = int(batches.count());
        QTRY_VERIFY_WITH_TIMEOUT(!controller.isBusy(), kTimeoutMs);
        QTest::qWait(100);
        // Nothing of the cancelled run reaches the views after cancel(), not even RunFinished.
        QCOMPARE(int(batches.count()), delivered);
        QVERIFY(count_steps(batches) < 450);

        // A new configuration starts a fresh run whose first batch is RunStarted.
        controller.configure("Once", greedy(), "cpu", true, {});
        QTRY_COMPARE_WITH_TIMEOUT(int(batches.count()), delivered + 1, kTimeoutMs);
        QVERIFY(std::holds_alternative<kvs::RunStarted>(batches.last().at(0).value<EventBatch>().front()));
    }

    void errorsAreMessages() {
        EngineController controller;
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        controller.configure("x", greedy(), "cpu", true, {});
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kTimeoutMs);
        QVERIFY2(errors.at(0).at(0).toString().contains("No model is loaded"), qPrintable(errors.at(0).at(0).toString()));
        controller.loadModel("/nonexistent/model.bin", {});
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 2, kTimeoutMs);
        QVERIFY2(errors.at(1).at(0).toString().contains("/nonexistent/model.bin"), qPrintable(errors.at(1).at(0).toString()));
        controller.loadSynthetic("no-such-preset", 0);
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 3, kTimeoutMs);
        QVERIFY2(errors.at(2).at(0).toString().contains("llama-2-7b"), qPrintable(errors.at(2).at(0).toString()));
    }
};

QTEST_MAIN(TestEngineController)
#include "test_engine_controller.moc"
