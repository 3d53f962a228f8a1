// The main window: docks, tabs, actions and their shortcuts, errors as messages (never a
// crash or a blocking dialog), a synthetic model run driven by the toolbar actions, and
// screenshots of every tab and dock.
#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QChartView>
#include <QLineSeries>
#include <QListView>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

#include "engine_controller.h"
#include "export_menu.h"
#include "generation_panel.h"
#include "main_window.h"
#include "message_banner.h"
#include "model_panel.h"
#include "run_data.h"
#include "token_list_model.h"
#include "test_paths.h"
#include "token_flow_view.h"
#include "token_stream_view.h"
#include "views/attention_grid_view.h"
#include "views/attention_heatmap.h"
#include "views/attention_view.h"
#include "views/cache_inspector_view.h"
#include "views/compute_view.h"
#include "views/kv_memory_view.h"
#include "views/memory_calculator_view.h"
#include "views/value_heatmap.h"

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
        QCOMPARE(titles, (QStringList{"KV memory", "Attention", "Compute", "Ops of one token", "Why only K and V", "Block pool", "Pool memory",
                                      "Cache inspector",
                                      "Memory calculator", "Allocation simulator", "Steps", "Debugger", "Compare"}));
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

        // The device field belongs to Vulkan: enabled and passed on only with that backend.
        auto* device = window.generationPanel()->findChild<QLineEdit*>("deviceEdit");
        QVERIFY(device && !device->isEnabled());
        window.generationPanel()->setBackend("vulkan");
        QVERIFY(device->isEnabled());
        device->setText(" llvmpipe ");
        QCOMPARE(window.generationPanel()->settings().device, QString("llvmpipe"));
        window.generationPanel()->setBackend("cpu");
        QVERIFY(window.generationPanel()->settings().device.isEmpty());
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

    void prefillPressedTwiceQuicklyIsIgnored() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.show();
        QSignalSpy ready(&window, &MainWindow::modelReady);
        window.generationPanel()->setPrompt("Hi");
        window.loadSynthetic("stories260k", 2);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(window.prefillAction()->isEnabled(), 30000);

        window.prefillAction()->trigger();
        // Disabled at once, before the engine has even started on it.
        QVERIFY(!window.prefillAction()->isEnabled());
        QVERIFY(!window.stepAction()->isEnabled());
        window.prefillAction()->trigger();
        window.prefill();  // a direct call is ignored as well
        QTRY_COMPARE_WITH_TIMEOUT(int(window.runData().steps().size()), 1, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(window.stepAction()->isEnabled(), 30000);
        QTest::qWait(200);  // a second prefill, had it been sent, would be back by now
        QCOMPARE(int(window.runData().steps().size()), 1);
        QVERIFY2(!window.messageBanner()->isVisible(), qPrintable(window.messageBanner()->text()));
        QVERIFY(!window.prefillAction()->isEnabled());  // prefilled: Step and Run go on
    }

    void stories260kFiftyStepsReachEveryView() {
        MainWindow window;
        window.setLoadErrorDialogs(false);
        window.resize(1400, 900);
        window.show();
        QSignalSpy ready(&window, &MainWindow::modelReady);
        window.generationPanel()->setPrompt(kvs::test::kStoriesPrompt);
        window.generationPanel()->setMaxNewTokens(50);
        auto* tabs = window.viewTabs();
        auto tab_of = [tabs](QWidget* w) { return tabs->indexOf(w); };
        auto* kv = window.findChild<KvMemoryView*>();
        auto* attention = window.findChild<AttentionView*>();
        auto* compute = window.findChild<ComputeView*>();
        auto* cache = window.findChild<CacheInspectorView*>();
        auto* calculator = window.findChild<MemoryCalculatorView*>();
        auto* stream = window.findChild<TokenStreamView*>();
        QVERIFY(kv && attention && compute && cache && calculator && stream);
        tabs->setCurrentIndex(tabs->count() - 1);  // Steps in front while the run streams in

        window.loadModel(QString::fromStdString(kvs::test::stories260k_bin()),
                         QString::fromStdString(kvs::test::stories260k_tokenizer()));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(window.runAction()->isEnabled(), 30000);
        window.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.runData().finished().has_value(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().isBusy(), 30000);

        // Tokens: BOS + 4 prompt tokens, then 50 generated.
        QCOMPARE(stream->model()->rowCount(), 5 + 50);
        const int positions = window.runData().kvPoints().back().positions;
        QCOMPARE(positions, 5 + 49);  // the last sampled token is not in the cache yet
        QVERIFY(!kv->projectionView()->isVisibleTo(kv));  // a real model: no projections unless asked

        // A hidden tab has not redrawn during the run; brought to the front it catches up.
        QTest::qWait(100);
        QCOMPARE(kv->totalSeries()->count(), 0);
        tabs->setCurrentIndex(tab_of(kv));
        // The lines hold only the points a line needs (straight stretches are two points): read
        // them as lines, at every position.
        auto line_at = [](const QXYSeries* series, double x) {
            const QList<QPointF> p = series->points();
            for (int i = 0; i + 1 < p.size(); ++i)
                if (p[i].x() <= x && x <= p[i + 1].x())
                    return p[i].y() + (p[i + 1].y() - p[i].y()) * (x - p[i].x()) / (p[i + 1].x() - p[i].x());
            return -1.0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(kv->totalSeries()->count() >= 2, 5000);
        QCOMPARE(kv->totalSeries()->at(kv->totalSeries()->count() - 1).x(), double(positions));
        // The measured line is the allocator's blocks of 16 positions x 1.25 KiB (20 KiB each):
        // flat inside a block, one step up at each new block; the formula is 1.25 KiB a position.
        // (The prefill's positions 1-5 stand at the one block it was given.)
        for (int p = 1; p <= positions; ++p) {
            QVERIFY(qAbs(line_at(kv->formulaSeries(), p) - p * 1.25) < 1e-9);
            QVERIFY(qAbs(line_at(kv->totalSeries(), p) - std::ceil(p / 16.0) * 20.0) < 1e-9);
        }
        QCOMPARE(kv->totalSeries()->at(kv->totalSeries()->count() - 1).y(), 80.0);  // 54 positions: 4 blocks
        QCOMPARE(kv->layerAreaCount(), 5);

        tabs->setCurrentIndex(tab_of(attention));
        auto* grid = attention->grid();
        QTRY_VERIFY_WITH_TIMEOUT(!grid->thumbnail(4, 7).isNull(), 5000);
        QCOMPARE(grid->rows() * grid->columns(), 5 * 8);  // layers x query heads
        QCOMPARE(grid->groupSize(), 2);                    // 8 query heads share 4 KV heads
        for (int l = 0; l < 5; ++l)
            for (int h = 0; h < 8; ++h) QVERIFY(!grid->thumbnail(l, h).isNull());

        tabs->setCurrentIndex(tab_of(compute));
        QTRY_VERIFY_WITH_TIMEOUT(compute->stepBarFlops(49) > 0, 5000);
        QVERIFY(compute->stepBarFlops(0) > 3 * compute->stepBarFlops(1));  // a 5-token prefill against 1 token
        QCOMPARE(compute->cachedCumulative()->at(compute->cachedCumulative()->count() - 1).x(), double(positions));

        tabs->setCurrentIndex(tab_of(cache));
        QTRY_COMPARE_WITH_TIMEOUT(cache->snapshot().length, positions, 10000);
        QCOMPARE(cache->keysHeatmap()->rows(), positions);
        QCOMPARE(cache->keysHeatmap()->columns(), 8);  // head_dim 64 / 8 heads
        QVERIFY(cache->shapeText().contains("[kv_heads 4, seq 54, head_dim 8]"));
        QVERIFY2(cache->shapeText().contains("in 4 blocks of 16 positions"), qPrintable(cache->shapeText()));

        // The calculator took the loaded model's shape: 5 x 4 x 8 at its 512-token context.
        QCOMPARE(calculator->bytesPerToken(), 2 * 5 * 4 * 8 * 2);  // f16
        QCOMPARE(calculator->totalBytes(), qint64(2 * 5 * 4 * 8 * 2) * 512);

        // Selecting a step reaches the other views: the compute view's breakdown, the KV chart's
        // marker at the step's cache length, the heatmap's frame around the step's query rows.
        window.runData().setSelectedStep(7);
        QCOMPARE(compute->breakdownStep(), 7);
        QCOMPARE(kv->selectionSeries()->count(), 2);
        QCOMPARE(kv->selectionSeries()->at(0).x(), 5.0 + 7);  // the prompt, then one position per decode step
        QCOMPARE(attention->heatmap()->selectedRows(), std::make_pair(5 + 6, 1));
        window.runData().setSelectedStep(0);
        QCOMPARE(attention->heatmap()->selectedRows(), std::make_pair(0, 5));  // the prefill computed the prompt

        // File > Export: the view in front (the cache inspector) as SVG and PDF, then everything,
        // with the inspector's current layer and KV head.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QCOMPARE(export_view_in_front(window, dir.filePath("front.svg")), QString());
        QCOMPARE(export_view_in_front(window, dir.filePath("front.pdf")), QString());
        QFile svg(dir.filePath("front.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));
        const ExportResult all = export_every_chart(window, dir.filePath("all"));
        QVERIFY2(all.ok(), qPrintable(all.error));
        for (const char* name : {"kv_memory.png", "attention.svg", "compute.pdf", "cache_layer0_kvhead0.png",
                                 "memory_calculator.png", "events.jsonl", "steps.csv"})
            QVERIFY2(all.files.contains(dir.filePath(QStringLiteral("all/") + name)), name);
        QCOMPARE(QImage(dir.filePath("all/kv_memory.png")).size(), QSize(1400, 900));
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
        // A synthetic model is set against the real models it imitates.
        auto* kv = window.findChild<KvMemoryView*>();
        QVERIFY(kv->projectionView()->isVisibleTo(kv));
        QVERIFY(kv->projectedPresets().contains("llama-2-7b"));
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
        TokenFlowView* chips = stream->chips();
        chips->scrollTo(6);
        const QRect chip = chips->visualRect(6);
        QVERIFY(chip.isValid());
        QTest::mouseClick(chips->viewport(), Qt::LeftButton, {}, chip.center());
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
