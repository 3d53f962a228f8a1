// What a teacher uses in front of a class: a pace the room can follow, the ops of one token
// against the cache, a full-screen presentation of one view, pictures for slides and papers at
// a chosen size and resolution, the documentation behind every "?", and the defects a first
// lecture met (every chart exported, whole-number axes, chips placed with the text).
#include <QChart>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QToolBar>
#include <QValueAxis>
#include <QtTest>

#include "docs_browser.h"
#include "engine_controller.h"
#include "export_menu.h"
#include "generation_panel.h"
#include "help_menu.h"
#include "main_window.h"
#include "pace_control.h"
#include "presentation_mode.h"
#include "run_data.h"
#include "synthetic_run.h"
#include "test_paths.h"
#include "token_flow_view.h"
#include "token_stream_view.h"
#include "views/cache_access_diagram.h"
#include "views/kv_memory_view.h"
#include "views/token_ops_view.h"
#include "views/view_help.h"

using namespace kvs;
using namespace kvs::ui;

namespace {
constexpr int kTimeoutMs = 60000;

void load_stories(MainWindow& window) {
    QSignalSpy ready(&window, &MainWindow::modelReady);
    window.loadModel(QString::fromStdString(test::stories260k_bin()), QString::fromStdString(test::stories260k_tokenizer()));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), kTimeoutMs);
}

int generated(const RunData& run) {
    int n = 0;
    for (const auto& t : run.tokens()) n += t.is_prompt ? 0 : 1;
    return n;
}

void feed(RunData& data, const test::SyntheticRun& run) {
    for (const auto& b : run.batches) data.append(b);
}
}  // namespace

class TestLectureTools : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QSettings().clear(); }

    void aPacedRunShowsEachStepAndPausesBetweenThem() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.generationPanel()->setMaxNewTokens(40);
        load_stories(window);
        // One token every 5 s: the run shows its first tokens and then waits; pause ends the
        // wait at once, where a run at full speed would have made all 40 tokens.
        window.paceControl()->setPaceMs(5000);
        QCOMPARE(window.controller().pace(), 5000);
        QCOMPARE(QSettings().value("run/pace_ms").toInt(), 5000);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(generated(window.runData()) >= 2, kTimeoutMs);
        window.runAction()->trigger();  // pause
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), kTimeoutMs);
        const int made = generated(window.runData());
        QVERIFY2(made <= 3, qPrintable(QString::number(made)));
        QVERIFY(!window.runData().finished().has_value());
        // Full speed ("]" steps faster down to it): the rest of the run at once.
        for (int i = 0; i < 10; ++i) window.paceControl()->faster();
        QCOMPARE(window.controller().pace(), 0);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), kTimeoutMs);
        QCOMPARE(generated(window.runData()), 40);
    }

    void theOpsOfOneTokenShowWhatTheyReadAndWrite() {
        // Steps: 0 = prefill of positions 0-4, then one position each: step 3 computes position 7.
        const auto run = test::make_synthetic_run(10, 5, 128, true);
        RunData data;
        TokenOpsView view(&data);
        feed(data, run);
        data.setSelectedStep(3);
        QCOMPARE(view.shownStep(), 3);
        QVERIFY(view.opCount() > 10);
        int writes = 0, k_reads = 0, v_reads = 0, untouched = 0;
        for (int i = 0; i < view.opCount(); ++i) {
            view.setCurrentOp(i);
            const CacheAccess& a = view.diagram()->access();
            if (a.write_count > 0) {
                ++writes;
                QCOMPARE(a.write_first, 7);  // the new K and V row is appended at position 7
                QCOMPARE(a.write_count, 1);
                QVERIFY2(view.explanation().contains("positions 7-7"), qPrintable(view.explanation()));
            } else if (a.k_read_count > 0) {
                ++k_reads;
                QCOMPARE(a.k_read_first, 0);  // the new query against every key, its own included
                QCOMPARE(a.k_read_count, 8);
                QVERIFY2(view.explanation().contains("K rows read: positions 0-7"), qPrintable(view.explanation()));
            } else if (a.v_read_count > 0) {
                ++v_reads;
                QCOMPARE(a.v_read_count, 8);
            } else {
                ++untouched;
            }
        }
        // Once per layer (4 layers); everything else touches no cache row.
        QCOMPARE(writes, 4);
        QCOMPARE(k_reads, 4);
        QCOMPARE(v_reads, 4);
        QVERIFY(untouched > 12);
        // The prefill writes the whole prompt.
        data.setSelectedStep(0);
        for (int i = 0; i < view.opCount(); ++i) {
            view.setCurrentOp(i);
            if (view.diagram()->access().write_count > 0) {
                QCOMPARE(view.diagram()->access().write_first, 0);
                QCOMPARE(view.diagram()->access().write_count, 5);
                break;
            }
        }
        // Next and previous walk the list; the ends hold.
        view.setCurrentOp(0);
        view.previousOp();
        QCOMPARE(view.currentOp(), 0);
        view.nextOp();
        QCOMPARE(view.currentOp(), 1);
    }

    void presentationShowsOneViewLargeAndLeavesAsItWas() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* kv = window.findChild<KvMemoryView*>();
        window.viewTabs()->setCurrentWidget(kv);
        const qreal title_size = kv->chart()->titleFont().pointSizeF();
        QWidget* control = nullptr;
        for (auto* w : kv->findChildren<QWidget*>())
            if (is_control(w) && w->isVisible()) control = w;
        QVERIFY(control);
        window.presentAction()->trigger();
        QVERIFY(window.presentation()->active());
        QVERIFY(window.menuBar()->isHidden());
        QVERIFY(window.statusBar()->isHidden());
        QVERIFY(window.viewTabs()->tabBar()->isHidden());
        for (auto* dock : window.docks()) QVERIFY(dock->isHidden());
        QVERIFY(control->isHidden());
        QCOMPARE(kv->chart()->titleFont().pointSizeF(), title_size * PresentationMode::kFontScale);
        QTest::keyClick(&window, Qt::Key_Escape);
        QVERIFY(!window.presentation()->active());
        QVERIFY(!window.presentAction()->isChecked());
        QVERIFY(!window.menuBar()->isHidden());
        QVERIFY(!window.viewTabs()->tabBar()->isHidden());
        QVERIFY(control->isVisible());
        bool a_dock_shows = false;
        for (auto* dock : window.docks()) a_dock_shows |= dock->isVisible();
        QVERIFY(a_dock_shows);
        QCOMPARE(kv->chart()->titleFont().pointSizeF(), title_size);
    }

    void aPictureForSlidesOrPaperHasTheSizeAndResolutionAsked() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        feed(window.runData(), test::make_synthetic_run(20, 5, 128, false));
        auto* kv = window.findChild<KvMemoryView*>();
        window.viewTabs()->setCurrentWidget(kv);
        const QSize on_screen = kv->size();
        QTemporaryDir dir;
        // 800 x 500 logical pixels at 300 dpi: 800 x 300 / 96 = 2500 by 500 x 300 / 96 = 1562.5 pixels.
        QCOMPARE(export_view_in_front(window, dir.filePath("kv.png"), {QSize(800, 500), 300}), QString());
        const QImage png(dir.filePath("kv.png"));
        QCOMPARE(png.size(), QSize(2500, 1563));
        QCOMPARE(png.dotsPerMeterX(), 11811);  // 300 / 0.0254
        QCOMPARE(kv->size(), on_screen);       // the view is back as it was
        QCOMPARE(export_view_in_front(window, dir.filePath("kv.svg"), {QSize(800, 500), 96}), QString());
        QFile svg(dir.filePath("kv.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray text = svg.readAll();
        QVERIFY(text.contains("width=\"800") || text.contains("viewBox=\"0 0 800 500\""));
        QVERIFY(!text.contains("Stack per layer"));  // the chart alone
        QVERIFY(export_view_in_front(window, dir.filePath("bad.png"), {QSize(800, 500), 5000})
                    .contains("outside 24-2400"));
    }

    void everyHelpButtonOpensItsSectionOfTheViewsPage() {
        MainWindow window;
        const QString dir = DocsBrowser::docsDir();
        QVERIFY2(!dir.isEmpty(), "docs/VIEWS.md not found");
        QFile page(dir + "/VIEWS.md");
        QVERIFY(page.open(QIODevice::ReadOnly));
        const QString markdown = QString::fromUtf8(page.readAll());
        QStringList sections;
        for (auto* label : window.findChildren<QLabel*>())
            if (const QString s = label->property("docsSection").toString(); !s.isEmpty()) sections << s;
        sections.removeDuplicates();
        QVERIFY2(sections.size() >= 9, qPrintable(sections.join(", ")));
        for (const QString& s : sections) {
            QVERIFY2(markdown.contains("\n## " + s + "\n"), qPrintable("VIEWS.md has no section " + s));
            QVERIFY(DocsBrowser::showSection(&window, "VIEWS.md", s));
            QCOMPARE(DocsBrowser::instance()->shownHeading(), s);
            QCOMPARE(DocsBrowser::instance()->browser()->textCursor().block().text(), s);
        }
        DocsBrowser::instance()->close();
        QVERIFY(about_text().contains("Qt 6."));
    }

    void everyChartIsExportedWithoutOpeningItsTab() {
        // The cache inspector's tab was never opened: "every chart" still reads the cache.
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.generationPanel()->setMaxNewTokens(8);
        load_stories(window);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), kTimeoutMs);
        QTemporaryDir dir;
        const ExportResult all = export_every_chart(window, dir.path());
        QVERIFY2(all.ok(), qPrintable(all.error));
        for (const char* name : {"cache_layer0_kvhead0.png", "cache_layer4_kvhead0.svg", "kv_memory.pdf"})
            QVERIFY2(all.files.contains(dir.filePath(name)), name);
    }

    void positionAxesReadWholeNumbers() {
        // makemore-sized runs (12 positions) once labelled their axis 0 2 5 7 10 12.
        RunData data;
        KvMemoryView kv(&data);
        feed(data, test::make_synthetic_run(8, 5, 16, false));
        kv.refreshNow();
        auto* x = qobject_cast<QValueAxis*>(kv.chart()->axes(Qt::Horizontal).first());
        const double step = (x->max() - x->min()) / (x->tickCount() - 1);
        QCOMPARE(step, std::round(step));
        QCOMPARE(x->min(), std::round(x->min()));
    }

    void chipsArePlacedWithTheText() {
        // The chips and the decoded text follow the same batch, not one after the other.
        RunData data;
        TokenStreamView view(&data);
        view.resize(900, 300);
        const auto run = test::make_synthetic_run(30, 5, 128, false);
        feed(data, run);
        const int rows = view.chips()->model()->rowCount();
        QCOMPARE(rows, int(data.tokens().size()));
        QVERIFY(view.chips()->visualRect(rows - 1).isValid());
        QVERIFY(view.chips()->chipsPlaced() >= rows);
    }
};

QTEST_MAIN(TestLectureTools)
#include "test_lecture_tools.moc"
