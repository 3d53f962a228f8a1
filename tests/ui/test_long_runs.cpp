// Long runs: what keeps memory flat over many decode steps and model load cycles, checked by
// counts (the figures themselves come from `kvscope-cli soak`, docs/RELIABILITY.md).
#include <QAction>
#include <QSignalSpy>
#include <QTest>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "engine_controller.h"
#include "main_window.h"
#include "test_paths.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 120000;
}

class TestLongRuns : public QObject {
    Q_OBJECT
private slots:
    // Every state change of the window updates its actions; the Run/Pause icon must be the same
    // QIcon each time (a new one per update filled QPixmapCache with its generated pixmaps:
    // 1.5 MB per 100 model loads until the cache's limit).
    void runIconIsMadeOnce() {
        MainWindow w;
        w.setLoadErrorDialogs(false);
        w.show();
        QSignalSpy loaded(&w.controller(), &EngineController::modelLoaded);
        QSet<qint64> keys;
        keys << w.runAction()->icon().cacheKey();
        for (int i = 0; i < 3; ++i) {
            w.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                        QString::fromStdString(kvs::test::stories260k_tokenizer()));
            QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), i + 1, kTimeoutMs);
            keys << w.runAction()->icon().cacheKey();
            w.runOrPause();  // Run: the action becomes Pause
            keys << w.runAction()->icon().cacheKey();
            QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), kTimeoutMs);
            keys << w.runAction()->icon().cacheKey();
        }
        QVERIFY2(keys.size() <= 3, qPrintable(QString::number(keys.size())));  // the first, Run and Pause
    }

    // The benchmark does the work it is asked for and reports a sample series for each part.
    void soakCommandCounts() {
        const auto r = kvs::test::run_cli({"soak", "--model", QString::fromStdString(kvs::test::stories260k_bin()),
                                           "--tokenizer", QString::fromStdString(kvs::test::stories260k_tokenizer()),
                                           "--steps", "600", "--run-length", "100", "--loads", "3", "--load-steps", "4",
                                           "--samples", "6", "--json"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j["decode"]["steps"].get<int>(), 600);
        QCOMPARE(j["decode"]["runs"].get<int>(), 6);  // 100 steps each
        QCOMPARE(int(j["decode"]["samples"].size()), 6);
        QCOMPARE(j["loads"]["cycles"].get<int>(), 3);
        QCOMPARE(int(j["loads"]["samples"].size()), 3);
        QVERIFY(j["loads"]["final_bytes"].get<std::int64_t>() > 0);
    }
};

QTEST_MAIN(TestLongRuns)
#include "test_long_runs.moc"
