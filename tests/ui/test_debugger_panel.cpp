// The debugger in the application: the controller's debugger requests on the engine thread and
// the panel. On stories260K (greedy, known ids): a breakpoint stops the run at its step and the
// panel says why; going back truncates every view's data (tokens, steps, attention rows) and
// keeps the old continuation as a branch; forcing the runner-up token from the panel makes a
// branch whose token is it; selecting the first branch in the tree shows its known tokens again.
#include <QSignalSpy>
#include <QTest>
#include <QPushButton>
#include <QTreeWidget>

#include "debugger_panel.h"
#include "engine_controller.h"
#include "run_data.h"
#include "test_paths.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;
}

class TestDebuggerPanel : public QObject {
    Q_OBJECT
private slots:
    void stopRewindForceSwitch() {
        EngineController controller;
        RunData run;
        DebuggerPanel panel(&run, &controller);
        connect(&controller, &EngineController::eventsReady, &run, &RunData::append);
        QSignalSpy loaded(&controller, &EngineController::modelLoaded);
        QSignalSpy errors(&controller, &EngineController::errorOccurred);
        QSignalSpy states(&controller, &EngineController::debuggerChanged);
        controller.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                             QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || errors.count() > 0, kTimeoutMs);
        RunSettings settings;
        settings.prompt = kvs::test::kStoriesPrompt;
        settings.block_size = 4;
        settings.capture.mode = kvs::AttentionCapture::Mode::NewRows;
        controller.configure(settings);
        controller.addBreakpoint("pos=22");
        controller.run(40);
        const auto idle = [&] { return !controller.isBusy(); };
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));

        // Position 22 is chosen by step 17 (prompt of 5): the run stops there.
        QCOMPARE(int(run.steps().size()), 18);
        QCOMPARE(int(run.tokens().size()), 23);
        QVERIFY(panel.state().available);
        QVERIFY2(panel.state().stop.contains("breakpoint 1 (pos=22)"), qPrintable(panel.state().stop));
        QCOMPARE(panel.breakpointList()->topLevelItemCount(), 1);

        // Back to before step 10: 15 tokens, 10 steps, attention rows of the 14 cached positions.
        controller.rewind(10, true);
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
        QCOMPARE(int(run.tokens().size()), 15);
        QCOMPARE(int(run.steps().size()), 10);
        QCOMPARE(run.attention(0, 0)->size, 14);
        QCOMPARE(panel.state().branches.size(), std::size_t(2));
        QCOMPARE(panel.state().active_branch, 1);

        // Select step 9 and take its runner-up token (the panel's default choice).
        run.setSelectedStep(9);
        const int runner_up = run.steps()[9].top[1].id;
        auto* force = panel.findChild<QPushButton*>("debuggerForce");
        QVERIFY(force && force->isEnabled());
        force->click();
        QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
        QCOMPARE(panel.state().branches.size(), std::size_t(3));
        QCOMPARE(int(run.tokens().size()), 15);
        QCOMPARE(run.tokens()[14].id, runner_up);
        QVERIFY(run.steps().back().forced);

        // Selecting branch 0 in the tree shows its tokens: the known ids up to step 17.
        QTreeWidget* tree = panel.branchTree();
        QCOMPARE(tree->topLevelItemCount(), 1);
        tree->setCurrentItem(tree->topLevelItem(0));
        QTRY_VERIFY_WITH_TIMEOUT(idle() && panel.state().active_branch == 0, kTimeoutMs);
        QCOMPARE(int(run.tokens().size()), 23);
        for (int i = 0; i < 23; ++i) QCOMPARE(run.tokens()[std::size_t(i)].id, kvs::test::kStoriesGreedyIds[i]);
        QCOMPARE(int(run.steps().size()), 18);
        QVERIFY(errors.isEmpty());
    }
};

QTEST_MAIN(TestDebuggerPanel)
#include "test_debugger_panel.moc"
