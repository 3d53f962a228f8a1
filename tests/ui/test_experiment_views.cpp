// The debugger's experiments in the application, on stories260K (greedy, known ids): the "Why
// only K and V" view runs the perturbation on the run's tokens through the controller and shows a
// grid in which nothing before the changed position moved; the Debugger tab's logit lens of a
// selected step names the token that step chose.
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

#include "debugger_panel.h"
#include "engine_controller.h"
#include "logit_lens_box.h"
#include "run_data.h"
#include "test_paths.h"
#include "views/perturbation_grid.h"
#include "views/perturbation_view.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;
}

class TestExperimentViews : public QObject {
    Q_OBJECT
private slots:
    void perturbationAndLens() {
        EngineController controller;
        RunData run;
        DebuggerPanel panel(&run, &controller);
        PerturbationView view(&run);
        connect(&controller, &EngineController::eventsReady, &run, &RunData::append);
        connect(&view, &PerturbationView::experimentRequested, &controller,
                [&](int position, int layer, const QString& op) { controller.requestPerturbation(position, layer, op); });
        connect(&controller, &EngineController::perturbationReady, &view, &PerturbationView::setResult);
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        QSignalSpy results(&controller, &EngineController::perturbationReady);
        QSignalSpy lenses(&controller, &EngineController::logitLensReady);
        controller.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                             QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        view.setLayers(5);
        RunSettings settings;
        settings.prompt = kvs::test::kStoriesPrompt;
        controller.configure(settings);
        controller.run(15);
        const auto idle = [&] { return !controller.isBusy(); };
        QTRY_VERIFY_WITH_TIMEOUT(idle() && run.tokens().size() == 20, kTimeoutMs);

        // The token at position 7 changed, over the 20 tokens of the run.
        view.runExperiment(7);
        QTRY_VERIFY_WITH_TIMEOUT(results.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QVERIFY(view.grid()->hasResult());
        const auto result = results.at(0).at(0).value<PerturbationResult>();
        QCOMPARE(result.report.positions, 20);
        QCOMPARE(result.labels.size(), 20);
        QCOMPARE(result.report.original_token, kvs::test::kStoriesGreedyIds[7]);
        QVERIFY2(view.summary().contains("Nothing before position 7 moved"), qPrintable(view.summary()));
        QVERIFY2(view.summary().contains("layer 0 Attention output"), qPrintable(view.summary()));

        // Layer 1's FFN output zeroed at position 4: later positions first move at layer 2's attention.
        view.runExperiment(4, 1);
        QTRY_VERIFY_WITH_TIMEOUT(results.count() == 2 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(view.summary().contains("layer 2 Attention output"), qPrintable(view.summary()));
        // The result arrives before the controller reports the work done: the Debugger panel stays
        // disabled until then.
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);

        // The lens of step 3, which chose position 8: its last layer predicts the known id.
        run.setSelectedStep(3);
        auto* show = panel.findChild<QPushButton*>("debuggerLens");
        QVERIFY(show && show->isEnabled());
        show->click();
        QTRY_VERIFY_WITH_TIMEOUT(lenses.count() == 1 || errors.count() > 0, kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        const auto lens = lenses.at(0).at(0).value<LogitLensResult>();
        QCOMPARE(lens.step, 3);
        QCOMPARE(lens.lens.final_token, kvs::test::kStoriesGreedyIds[8]);
        QTreeWidget* table = panel.logitLens()->table();
        QCOMPARE(table->topLevelItemCount(), 6);  // the embedding and 5 layers
        QCOMPARE(table->topLevelItem(5)->text(3), QString("rank 1, %1%").arg(100.0 * lens.lens.layers.back().final_prob, 0, 'f', 1));
    }
};

QTEST_MAIN(TestExperimentViews)
#include "test_experiment_views.moc"
