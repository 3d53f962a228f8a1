// What a new user meets in the window: runs that end by themselves say so, the decoded text
// holds no control tokens, a prompt the vocabulary cannot spell is reported, messages do not
// outlive what they were about, the window fits the screen, lists name formats alike, and the
// cache inspector follows the selected step.
#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QStatusBar>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>

#include "engine_controller.h"
#include "generation_panel.h"
#include "main_window.h"
#include "message_banner.h"
#include "model_discovery.h"
#include "run_data.h"
#include "step_table_model.h"
#include "synthetic_run.h"
#include "test_paths.h"
#include "token_list_model.h"
#include "token_stream_view.h"
#include "views/cache_inspector_view.h"
#include "views/value_heatmap.h"

using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;

QString summary_text(MainWindow& window) {
    auto* stream = window.findChild<TokenStreamView*>();
    QString all;
    for (auto* label : stream->findChildren<QLabel*>()) all += label->text();
    return all;
}

void load_stories(MainWindow& window) {
    QSignalSpy ready(&window, &MainWindow::modelReady);
    window.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                     QString::fromStdString(kvs::test::stories260k_tokenizer()));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), kTimeoutMs);
}
}  // namespace

class TestFirstUse : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();  // the recent list of an earlier run (its files may be gone) plays no part
    }

    void aRunThatEndsAtItsStopTokenIsFinished() {
        // stories260K greedy from "Once upon a time" ends its story (samples BOS) after 337 new
        // tokens, long before 500: the run is over then, and the window says so.
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.generationPanel()->setMaxNewTokens(500);
        load_stories(window);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), kTimeoutMs);
        QCOMPARE(window.runData().finished()->stop_reason, std::string("eos"));
        int generated = 0;
        for (const auto& t : window.runData().tokens()) generated += t.is_prompt ? 0 : 1;
        QVERIFY2(generated < 500, qPrintable(QString::number(generated)));
        QVERIFY(!window.stepAction()->isEnabled());
        QVERIFY(!window.runAction()->isEnabled());
        QVERIFY(!window.prefillAction()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(summary_text(window).contains("finished: eos"), kTimeoutMs);
        // The stop token is a chip like the prompt's BOS ("↵<s>↵"), not text.
        auto* stream = window.findChild<TokenStreamView*>();
        QTRY_VERIFY_WITH_TIMEOUT(stream->decodedText().contains("Lily"), kTimeoutMs);
        QVERIFY(!stream->decodedText().contains("<s>"));
        QVERIFY(!stream->textPane()->toPlainText().contains("<s>"));
        QCOMPARE(TokenListModel::chipText(window.runData().tokens().back()), QString("\u21b5<s>\u21b5"));
        // The Steps table writes tokens as the chips do.
        StepTableModel steps(&window.runData());
        const QString last = steps.index(steps.rowCount() - 1, StepTableModel::TokenColumn).data().toString();
        QCOMPARE(last, QString("\u21b5<s>\u21b5 (1)"));
        int with_space = 0;
        for (int r = 0; r < steps.rowCount(); ++r) {
            const QString token = steps.index(r, StepTableModel::TokenColumn).data().toString();
            QVERIFY2(!token.contains('_') && !token.contains(QChar(0x2581)), qPrintable(token));
            with_space += token.startsWith(QChar(0x00B7));
        }
        QVERIFY(with_space > 10);  // " there", " was", ...
    }

    void aPrefillThatSamplesTheEndIsFinished() {
        // makemore with a prompt it cannot spell: the warning names what was left out, the
        // prefill samples '.' (the end of a name) at once, and the run says it is over.
        MainWindow window;
        window.setLoadErrorDialogs(false);
        QSignalSpy ready(&window, &MainWindow::modelReady);
        window.loadModel(QString::fromStdString(kvs::test::makemore_dir()));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kTimeoutMs);
        // Its own default prompt is empty (a name from the start token), and the limit shows.
        QCOMPARE(window.generationPanel()->settings().prompt, QString());
        auto* max_new = window.generationPanel()->findChild<QSpinBox*>();
        QVERIFY(max_new);
        bool shows_context = false;
        for (auto* box : window.generationPanel()->findChildren<QSpinBox*>())
            shows_context |= box->suffix().contains("context 16");
        QVERIFY(shows_context);

        window.generationPanel()->setPrompt("Once upon a time");
        window.resetRun();
        QTRY_VERIFY_WITH_TIMEOUT(!window.messageBanner()->isHidden(), kTimeoutMs);
        const QString warning = window.messageBanner()->text();
        QVERIFY2(warning.contains("'O'") && warning.contains("(space)") && warning.contains("3 times"),
                 qPrintable(warning));
        QCOMPARE(window.messageBanner()->kind(), MessageBanner::Kind::Warning);
        QTRY_VERIFY_WITH_TIMEOUT(window.prefillAction()->isEnabled(), kTimeoutMs);
        window.prefillAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), kTimeoutMs);
        QCOMPARE(window.runData().finished()->stop_reason, std::string("eos"));
        QVERIFY(!window.stepAction()->isEnabled());
        QVERIFY(!window.runAction()->isEnabled());
    }

    void messagesDoNotOutliveWhatTheyWereAbout() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.resize(900, 700);
        window.show();
        // A load error, then a model that loads: the error strip goes.
        window.loadModel("/nonexistent/model.bin");
        QTRY_VERIFY_WITH_TIMEOUT(!window.messageBanner()->isHidden(), kTimeoutMs);
        QCOMPARE(window.messageBanner()->kind(), MessageBanner::Kind::Error);
        load_stories(window);
        QVERIFY(!!window.messageBanner()->isHidden());

        // A prompt longer than the context: an error, and nothing offered but to change it.
        window.generationPanel()->setPrompt(QString("Once upon a time ").repeated(200));
        window.resetRun();
        QTRY_VERIFY_WITH_TIMEOUT(!window.messageBanner()->isHidden(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), kTimeoutMs);
        QVERIFY2(window.messageBanner()->text().contains("context"), qPrintable(window.messageBanner()->text()));
        QVERIFY(!window.prefillAction()->isEnabled());
        QVERIFY(!window.stepAction()->isEnabled());
        QVERIFY(!window.runAction()->isEnabled());
        // A good prompt again: the run starts and the stale error goes with it.
        window.generationPanel()->setPrompt("Once upon a time");
        window.resetRun();
        QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), kTimeoutMs);
        QVERIFY(!!window.messageBanner()->isHidden());

        // "Settings changed" after a step is answered by Reset.
        window.stepAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!window.runData().steps().empty(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(window.stepAction()->isEnabled(), kTimeoutMs);
        window.generationPanel()->setMaxNewTokens(7);
        window.generationPanel()->setPrompt("Once upon a time there");
        QVERIFY(window.statusBar()->currentMessage().startsWith("Settings changed"));
        window.resetRun();
        QVERIFY(!window.statusBar()->currentMessage().startsWith("Settings changed"));

        // A long message is shortened to the room the permanent labels leave.
        const QString long_message = QString("word ").repeated(200);
        window.showStatus(long_message);
        const QString shown = window.statusBar()->currentMessage();
        QVERIFY(shown.size() < long_message.size());
        QVERIFY(shown.endsWith(QChar(0x2026)));
        QVERIFY(window.statusBar()->fontMetrics().horizontalAdvance(shown) < window.statusBar()->width());
    }

    void theWindowFitsTheScreen() {
        // A geometry saved on a larger screen (or a layout taller than this one) is brought
        // inside the available area, status bar included.
        {
            MainWindow big;
            big.resize(1400, 2400);
            big.close();  // saves the geometry
        }
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // (The offscreen test screen is 800 x 600, smaller than the window can be: the window is
        // as small as it can be there.)
        const QRect available = window.screen()->availableGeometry();
        const QSize least = window.minimumSizeHint();
        QVERIFY2(window.height() <= std::max(available.height(), least.height()),
                 qPrintable(QString("%1 > %2").arg(window.height()).arg(available.height())));
        QVERIFY(window.width() <= std::max(available.width(), least.width()));
        // What the window needs at least fits a 1280 x 800 laptop screen.
        QVERIFY2(least.width() <= 1280 && least.height() <= 760,
                 qPrintable(QString("%1 x %2").arg(least.width()).arg(least.height())));
    }

    void everyListNamesFormatsAlike() {
        QCOMPARE(model_format_of(QString::fromStdString(kvs::test::stories260k_bin())), QString("llama2c"));
        QCOMPARE(model_format_of(QString::fromStdString(kvs::test::makemore_dir())), QString("hf"));
        QCOMPARE(model_format_of(QString::fromStdString(kvs::test::shared_path("models/ggml-quants/ggml-quant-reference.gguf"))),
                 QString("gguf"));
        // The recent list uses the same names as the list of models found on disk; a recent file
        // that has gone since is greyed and named missing.
        QTemporaryDir gone;
        const QString gone_path = gone.filePath("gone.bin");
        QSettings().setValue("recentModels", QVariantList{QVariantMap{{"path", gone_path}}});
        MainWindow window;
        window.setLoadErrorDialogs(false);
        load_stories(window);
        bool found = false, missing = false;
        for (auto* tree : window.findChildren<QTreeWidget*>())
            for (QTreeWidgetItemIterator it(tree); *it; ++it) {
                if ((*it)->text(0) == "stories260K.bin") {
                    QCOMPARE((*it)->text(1), QString("llama2c"));
                    found = true;
                }
                if ((*it)->text(0) == "gone.bin") {
                    QCOMPARE((*it)->text(1), QString("missing"));
                    QVERIFY((*it)->isDisabled());
                    missing = true;
                }
            }
        QVERIFY(found);
        QVERIFY(missing);
    }

    void theCacheInspectorFollowsTheSelectedStep() {
        const auto run = kvs::test::make_synthetic_run(10);  // a 5-token prefill, then one position a step
        RunData data;
        CacheInspectorView view(&data);
        for (const auto& batch : run.batches) data.append(batch);
        KvSnapshot snap;
        snap.length = 14;
        snap.head_dim = 8;
        snap.keys.assign(14 * 8, 1.0f);
        snap.values.assign(14 * 8, -1.0f);
        view.setSnapshot(snap);
        QCOMPARE(view.keysHeatmap()->rows(), 14);
        // Step 4 wrote position 8: the cache as it left it holds positions 0..8.
        data.setSelectedStep(4);
        QCOMPARE(view.keysHeatmap()->rows(), 9);
        QCOMPARE(view.valuesHeatmap()->rows(), 9);
        QCOMPARE(view.keysHeatmap()->highlightedRows(), std::make_pair(8, 1));
        QVERIFY2(view.shapeText().contains("[9, 8]") && view.shapeText().contains("step 4"), qPrintable(view.shapeText()));
        // The prefill (step 0) wrote positions 0..4.
        data.setSelectedStep(0);
        QCOMPARE(view.keysHeatmap()->rows(), 5);
        QCOMPARE(view.keysHeatmap()->highlightedRows(), std::make_pair(0, 5));
        data.setSelectedStep(-1);
        QCOMPARE(view.keysHeatmap()->rows(), 14);
    }
};

QTEST_MAIN(TestFirstUse)
#include "test_first_use.moc"
