// The main window: docks, tabs, actions and their shortcuts, errors as messages (never a
// crash or a blocking dialog), a synthetic model run driven by the toolbar actions, and
// screenshots of every tab and dock.
#include <QAction>
#include <QDockWidget>
#include <QImage>
#include <QLabel>
#include <QListView>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include "engine_controller.h"
#include "generation_panel.h"
#include "main_window.h"
#include "message_banner.h"
#include "model_panel.h"
#include "run_data.h"
#include "token_list_model.h"
#include "token_stream_view.h"

using namespace kvs::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void structureAndShortcuts() {
        MainWindow window;
        QStringList docks;
        for (auto* d : window.docks()) docks << d->windowTitle();
        QVERIFY2(docks.contains("Model") && docks.contains("Generation") && docks.contains("Tokens"),
                 qPrintable(docks.join(",")));
        QStringList titles;
        for (int i = 0; i < window.viewTabs()->count(); ++i) titles << window.viewTabs()->tabText(i);
        QCOMPARE(titles, (QStringList{"KV memory", "Attention", "Compute", "Cache inspector", "Memory calculator", "Steps"}));
        QCOMPARE(window.prefillAction()->shortcut(), QKeySequence(Qt::Key_F5));
        QCOMPARE(window.stepAction()->shortcut(), QKeySequence(Qt::Key_F10));
        QCOMPARE(window.runAction()->shortcuts(), (QList<QKeySequence>{QKeySequence(Qt::Key_F8), QKeySequence(Qt::Key_Space)}));
        QCOMPARE(window.resetAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QVERIFY(!window.stepAction()->isEnabled());  // nothing to step without a model

        auto* extra = new QLabel("extra");
        const int tabs = window.viewTabs()->count();
        window.addView("Extra", extra);
        QCOMPARE(window.viewTabs()->count(), tabs + 1);
        QCOMPARE(window.viewTabs()->widget(tabs), extra);
        QVERIFY(window.modelPanel()->syntheticCount() >= 10);
    }

    void errorsShowAsMessages() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.show();
        window.step();  // no model: a message, not a crash
        QVERIFY(window.messageBanner()->isVisible());
        QVERIFY2(window.messageBanner()->text().contains("No model"), qPrintable(window.messageBanner()->text()));
        window.loadModel("/nonexistent/stories.bin", {});
        QTRY_VERIFY_WITH_TIMEOUT(window.messageBanner()->text().contains("/nonexistent/stories.bin"), 30000);
        QCOMPARE(window.messageBanner()->kind(), MessageBanner::Kind::Error);
        QVERIFY(!window.hasModel());
    }

    void syntheticRunFromTheToolbar() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.show();
        QSignalSpy ready(&window, &MainWindow::modelReady);
        window.generationPanel()->setPrompt("Hi");
        window.generationPanel()->setMaxNewTokens(12);
        window.loadSynthetic("stories260k", 2);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        QCOMPARE(ready.at(0).at(0).value<ModelInfo>().layers, 2);
        auto* stream = window.findChild<TokenStreamView*>();
        QVERIFY(stream);
        // The run is configured on load: the prompt (BOS + 2 bytes) shows before any step.
        QTRY_COMPARE_WITH_TIMEOUT(stream->model()->rowCount(), 3, 30000);

        QTRY_VERIFY_WITH_TIMEOUT(window.prefillAction()->isEnabled(), 30000);
        window.prefillAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stream->model()->rowCount(), 4, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(window.stepAction()->isEnabled(), 30000);
        QVERIFY(!window.prefillAction()->isEnabled());  // prefilled: only Step and Run go on
        window.stepAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stream->model()->rowCount(), 5, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), 30000);
        window.runAction()->trigger();  // up to 12 new tokens in all
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(stream->model()->rowCount(), 3 + 12, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isRunning(), 30000);
        QCOMPARE(window.runAction()->text(), QString("Run"));

        // Clicking a generated chip selects its step.
        QListView* list = stream->listView();
        list->scrollTo(stream->model()->index(6));
        const QRect chip = list->visualRect(stream->model()->index(6));
        QVERIFY(chip.isValid());
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, chip.center());
        QCOMPARE(window.runData().selectedStep(), stream->model()->index(6).data(TokenListModel::StepRole).toInt());
        QCOMPARE(window.runData().selectedStep(), 3);

        // Status bar: device and the cache size in human units.
        const auto* cache = window.findChild<QLabel*>("cacheLabel");
        QTRY_VERIFY_WITH_TIMEOUT(cache->text().contains("KiB"), 5000);
        QVERIFY(window.findChild<QLabel*>("deviceLabel")->text().startsWith("cpu"));

        // Reset starts over with the prompt only.
        window.resetAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stream->model()->rowCount(), 3, 30000);
        QVERIFY(!window.runData().finished().has_value());

        QTemporaryDir dir;
        const QStringList files = window.saveScreenshots(dir.path());
        QVERIFY2(files.size() >= 5, qPrintable(files.join(",")));
        for (const QString& f : files) {
            QImage image(f);
            QVERIFY2(!image.isNull() && image.width() > 50 && image.height() > 50, qPrintable(f));
        }
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
