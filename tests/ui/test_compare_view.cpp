// The Compare view: a hand-built comparison whose divergence and differences are worked out by
// hand drawn as texts, bars, a chart and a table (the step model under QAbstractItemModelTester);
// and, through the EngineController's engine thread on stories260K, greedy against temperature 1
// whose first differing token the test finds itself from two plain generation runs.
#include <QAbstractItemModelTester>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTextBrowser>
#include <cmath>

#include "core/backend.h"
#include "engine_controller.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "session/run_comparison.h"
#include "test_paths.h"
#include "views/compare_view.h"
#include "views/comparison_step_model.h"

using namespace kvs;
using namespace kvs::ui;

namespace {

constexpr int kTimeoutMs = 60000;

// A controller loading stories260K and a Compare view wired to it as the application wires them
// (view_factory.cpp), with spies on what the controller says.
struct CompareRig {
    EngineController controller;
    CompareView view;
    QSignalSpy loaded{&controller, &EngineController::modelLoaded};
    QSignalSpy errors{&controller, &EngineController::errorOccurred};
    QSignalSpy warnings{&controller, &EngineController::warningRaised};
    QSignalSpy ready{&controller, &EngineController::comparisonReady};
    QSignalSpy progress{&controller, &EngineController::comparisonProgress};

    CompareRig() {
        QObject::connect(&view, &CompareView::compareRequested, &controller, &EngineController::compareRuns);
        QObject::connect(&view, &CompareView::cancelRequested, &controller, &EngineController::cancelComparison);
        QObject::connect(&controller, &EngineController::comparisonReady, &view, &CompareView::setComparison);
        QObject::connect(&controller, &EngineController::comparisonProgress, &view, &CompareView::setProgress);
        QObject::connect(&controller, &EngineController::busyChanged, &view, &CompareView::setBusy);
        controller.loadModel(QString::fromStdString(test::stories260k_bin()),
                             QString::fromStdString(test::stories260k_tokenizer()));
    }
    bool idle() const { return !controller.isBusy(); }
};

RecordedStep step(int token, std::vector<float> logits, std::vector<TokenProbability> top) {
    RecordedStep s;
    s.token = token;
    s.label = "t" + std::to_string(token);
    s.text = " w" + std::to_string(token);
    s.logits = std::move(logits);
    s.top = std::move(top);
    return s;
}

// Vocabulary of 3; the runs agree at step 0 and part at step 1 (A: 2, B: 0) where
// p = (1/4, 1/4, 1/2) and q = (1/2, 1/4, 1/4): max |Δlogit| ln 2, KL 1/4 ln 2, TV 1/4.
RunComparison hand_built() {
    const float ln2 = float(std::log(2.0));
    RecordedRun a, b;
    a.vocab_size = b.vocab_size = 3;
    a.prompt = b.prompt = {1};
    a.description = "cpu, cache, greedy";
    b.description = "cpu, cache, T 1 seed 7";
    a.steps = {step(2, {0, 0, ln2}, {{2, 0.5f, "t2"}, {0, 0.25f, "t0"}, {1, 0.25f, "t1"}}),
               step(2, {0, 0, ln2}, {{2, 0.5f, "t2"}, {0, 0.25f, "t0"}, {1, 0.25f, "t1"}}),
               step(1, {1, 2, 3}, {})};
    b.steps = {step(2, {0, 0, ln2}, {{2, 0.5f, "t2"}, {0, 0.25f, "t0"}, {1, 0.25f, "t1"}}),
               step(0, {ln2, 0, 0}, {{0, 0.5f, "t0"}, {1, 0.25f, "t1"}, {2, 0.25f, "t2"}}),
               step(1, {1, 2, 4}, {})};
    auto c = compare_runs(a, b);
    if (!c.ok()) qFatal("%s", c.message().c_str());
    return std::move(c).value();
}

}  // namespace

class TestCompareView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { register_engine_metatypes(); }

    void drawsAHandBuiltComparison() {
        CompareView view;
        QAbstractItemModelTester tester(view.stepModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setComparison(hand_built());

        QVERIFY2(view.summaryLabel()->text().contains("First divergence at step 1"), qPrintable(view.summaryLabel()->text()));
        // The divergent token is highlighted in both texts, and what follows it greyed.
        QVERIFY(view.streamA()->toHtml().contains("#ffd666"));
        QVERIFY(view.streamB()->toPlainText().contains(" w2 w0 w1"));
        QVERIFY(view.streamA()->toPlainText().contains(" w2 w2 w1"));

        // The chart: solid over steps 0..1, dashed over 1..2, the red line at step 1.
        QCOMPARE(view.sameContextSeries()->count(), 2);
        QCOMPARE(view.afterDivergenceSeries()->count(), 2);
        QCOMPARE(view.divergenceMarker()->at(0).x(), 1.0);
        QCOMPARE(view.sameContextSeries()->at(0).y(), 0.0);
        QVERIFY(std::fabs(view.sameContextSeries()->at(1).y() - std::log(2.0)) < 1e-6);
        QVERIFY(std::fabs(view.afterDivergenceSeries()->at(1).y() - 1.0) < 1e-6);
        view.setMetric(CompareView::Metric::Kl);
        QVERIFY(std::fabs(view.sameContextSeries()->at(1).y() - 0.25 * std::log(2.0)) < 1e-6);
        view.setMetric(CompareView::Metric::TotalVariation);
        QVERIFY(std::fabs(view.sameContextSeries()->at(1).y() - 0.25) < 1e-6);

        // Both distributions at step 1: A's most likely (t2) on top with 1/2 against B's 1/4.
        QCOMPARE(view.distributionA()->count(), 3);
        const int top = view.distributionA()->count() - 1;
        QCOMPARE(view.distributionA()->at(top), 0.5);
        QCOMPARE(view.distributionB()->at(top), 0.25);

        // The table: three steps, the divergence's tokens and differences.
        ComparisonStepModel* model = view.stepModel();
        QCOMPARE(model->rowCount(), 3);
        QCOMPARE(model->index(1, ComparisonStepModel::TokenA).data(Qt::UserRole).toInt(), 2);
        QCOMPARE(model->index(1, ComparisonStepModel::TokenB).data(Qt::UserRole).toInt(), 0);
        QVERIFY(std::fabs(model->index(1, ComparisonStepModel::Kl).data(Qt::UserRole).toDouble() - 0.25 * std::log(2.0)) < 1e-6);
        QVERIFY(model->index(1, 0).data(Qt::BackgroundRole).isValid());
        QVERIFY(!model->index(0, 0).data(Qt::BackgroundRole).isValid());
        QCOMPARE(model->index(2, ComparisonStepModel::Context).data(Qt::UserRole).toBool(), false);
    }

    void compareButtonAsksWithTheSettings() {
        CompareView view;
        CompareSettings s;
        s.prompt = "Once upon a time";
        s.max_new = 12;
        s.b.backend = "vulkan";
        s.b.use_cache = false;
        s.b.sampling.temperature = 0.5f;
        view.setSettings(s);
        QSignalSpy asked(&view, &CompareView::compareRequested);
        view.compareButton()->click();
        QCOMPARE(asked.count(), 1);
        const auto got = asked.at(0).at(0).value<CompareSettings>();
        QCOMPARE(got.prompt, s.prompt);
        QCOMPARE(got.max_new, 12);
        QCOMPARE(got.a.backend, QString("cpu"));
        QVERIFY(got.a.use_cache);
        QCOMPARE(got.b.backend, QString("vulkan"));
        QVERIFY(!got.b.use_cache);
        QCOMPARE(got.b.sampling.temperature, 0.5f);
    }

    // Through the engine thread: greedy against temperature 1 (seed 7) on stories260K.
    void comparesOnTheEngineThread() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY(m.ok());
        SessionOptions sampled;
        sampled.sampling.temperature = 1.0f;
        sampled.sampling.top_p = 1.0f;
        sampled.sampling.seed = 7;
        auto plain = [&](const SessionOptions& o) {
            auto backend = create_backend("cpu", *m, {}, nullptr);
            GenerationSession s(*m, std::move(backend.value()), o);
            if (!s.start(test::kStoriesPrompt).ok() || !s.run(30).ok()) qFatal("generation failed");
            return s.tokens();
        };
        const std::vector<int> ta = plain(SessionOptions{}), tb = plain(sampled);
        int expected = -1;
        for (std::size_t k = 5; k < std::min(ta.size(), tb.size()) && expected < 0; ++k)
            if (ta[k] != tb[k]) expected = int(k) - 5;
        QVERIFY(expected >= 0);

        CompareRig rig;
        CompareView& view = rig.view;
        const QSignalSpy &errors = rig.errors, &ready = rig.ready, &progress = rig.progress;
        QTRY_VERIFY_WITH_TIMEOUT(rig.loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        CompareSettings s;
        s.prompt = test::kStoriesPrompt;
        s.max_new = 30;
        s.b.sampling = sampled.sampling;
        view.setSettings(s);
        view.requestComparison();
        QCOMPARE(ready.count(), 0);  // the request returns at once; the result comes by signal
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QVERIFY(view.hasComparison());
        const RunComparison& c = view.comparison();
        QCOMPARE(c.first_divergence, expected);
        QCOMPARE(std::vector<int>(ta.begin() + 5, ta.end()), c.tokens_a);
        QCOMPARE(std::vector<int>(tb.begin() + 5, tb.end()), c.tokens_b);
        QCOMPARE(view.stepModel()->rowCount(), 30);
        // Progress came for both runs, each ending at its 30th step.
        QVERIFY(progress.count() >= 2);
        QCOMPARE(progress.first().at(0).toInt(), 0);
        QCOMPARE(progress.last(), (QList<QVariant>{1, 30, 30}));
        bool a_done = false;
        for (const auto& p : progress) a_done = a_done || p == QList<QVariant>{0, 30, 30};
        QVERIFY(a_done);
        QCOMPARE(view.divergenceMarker()->at(0).x(), double(expected));
        // What the samplers drew from there: greedy A the argmax alone, with probability 1.
        view.setShowSampled(true);
        const int top = view.distributionA()->count() - 1;
        QVERIFY(top >= 1);
        QCOMPARE(view.distributionA()->at(top), 1.0);
        QCOMPARE(view.distributionTokens()->at(top), QString("'%1'").arg(QString::fromStdString(c.labels_a[std::size_t(expected)])));
        QVERIFY(view.summaryLabel()->text().contains(QString("step %1").arg(expected)));
    }

    // Cancel stops a comparison between two steps: no result, a warning, the view ready for the
    // next one. The engine thread is first held in a run paced at a minute per step, so the
    // comparison waits behind it and the cancel lands before its first step, whatever the speed.
    void cancelStopsAComparison() {
        CompareRig rig;
        EngineController& controller = rig.controller;
        CompareView& view = rig.view;
        const QSignalSpy &errors = rig.errors, &warnings = rig.warnings, &ready = rig.ready;
        QTRY_VERIFY_WITH_TIMEOUT(rig.loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY(errors.isEmpty());
        const auto idle = [&] { return rig.idle(); };
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);

        RunSettings run;
        run.prompt = test::kStoriesPrompt;
        controller.configure(run);
        controller.setPace(60000);
        controller.run(10);
        CompareSettings s;
        s.prompt = test::kStoriesPrompt;
        s.max_new = 30;
        view.setSettings(s);
        view.requestComparison();  // (the button is off while the run goes on)
        QCOMPARE(view.compareButton()->text(), QString("Cancel"));
        QVERIFY(view.compareButton()->isEnabled());
        view.compareButton()->click();  // cancels: the paced run stops, then the comparison
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
        QCOMPARE(ready.count(), 0);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        bool cancelled = false;
        for (const auto& w : warnings) cancelled = cancelled || w.at(0).toString().contains("Compare: cancelled during run A, after 0 steps");
        QVERIFY(cancelled);
        QVERIFY2(view.summaryLabel()->text().contains("No comparison"), qPrintable(view.summaryLabel()->text()));
        QCOMPARE(view.compareButton()->text(), QString("Compare"));
        QVERIFY(view.compareButton()->isEnabled());
        QVERIFY(!view.hasComparison() || view.comparison().tokens_a.empty());

        // The next one runs to its end.
        controller.setPace(0);
        view.compareButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QCOMPARE(int(view.comparison().tokens_a.size()), 30);
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
        QCOMPARE(view.compareButton()->text(), QString("Compare"));
    }
};

QTEST_MAIN(TestCompareView)
#include "test_compare_view.moc"
