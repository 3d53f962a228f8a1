// The Generation panel's CPU threads reach the engine: the status bar's device text and the run's
// RunStarted event name the count the CPU backend runs with, a change applies on Reset, and the
// greedy tokens do not depend on it.
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <thread>

#include "engine_controller.h"
#include "generation_panel.h"
#include "main_window.h"
#include "run_data.h"
#include "test_paths.h"

using namespace kvs::ui;

class TestThreadSetting : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void everyCoreIsTheDefault() {
        GenerationPanel panel;
        auto* threads = panel.findChild<QSpinBox*>("threadsBox");
        QVERIFY(threads);
        QCOMPARE(panel.settings().threads, 0);
        // 0 reads as every core, with the count the standard library reports for this machine.
        const int cores = int(std::thread::hardware_concurrency());
        QCOMPARE(threads->text(), QString("every core (%1)").arg(cores > 0 ? cores : 1));
        panel.setThreads(3);
        QCOMPARE(panel.settings().threads, 3);
    }

    void theCountReachesTheEngineAndAppliesOnReset() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.show();
        QSignalSpy ready(&window, &MainWindow::modelReady);
        GenerationPanel* panel = window.generationPanel();
        panel->setPrompt(kvs::test::kStoriesPrompt);
        panel->setBackend("cpu");
        panel->setSampling(0.0, 42);  // greedy
        panel->setMaxNewTokens(10);
        panel->setThreads(3);
        window.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                         QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), 30000);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), 30000);

        const auto* device = window.findChild<QLabel*>("deviceLabel");
        QVERIFY2(device->text().startsWith("cpu: ") && device->text().endsWith(", 3 threads)"),
                 qPrintable(device->text()));
        QVERIFY2(QString::fromStdString(window.runData().run().device).endsWith(", 3 threads)"),
                 window.runData().run().device.c_str());
        // BOS + 4 prompt tokens, then 10 generated: llama2.c's greedy ids whatever the thread count.
        const auto& tokens = window.runData().tokens();
        QCOMPARE(int(tokens.size()), 15);
        for (int i = 0; i < 15; ++i) QCOMPARE(tokens[std::size_t(i)].id, kvs::test::kStoriesGreedyIds[i]);

        // A change waits for Reset, like every run setting; then the new backend has one thread.
        panel->setThreads(1);
        QTest::qWait(100);
        QVERIFY2(device->text().endsWith(", 3 threads)"), qPrintable(device->text()));
        window.resetAction()->trigger();
        QTRY_VERIFY2_WITH_TIMEOUT(device->text().endsWith(", 1 thread)"), qPrintable(device->text()), 30000);
    }
};

QTEST_MAIN(TestThreadSetting)
#include "test_thread_setting.moc"
