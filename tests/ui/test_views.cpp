// The chart views fed with a synthetic run: values against the formulas, sizes, selection.
#include <QAbstractItemModelTester>
#include <QAreaSeries>
#include <QBarSet>
#include <QChartView>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QValueAxis>
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "run_data.h"
#include "synthetic_run.h"
#include "views/attention_grid_view.h"
#include "views/attention_heatmap.h"
#include "views/attention_image.h"
#include "views/cache_inspector_view.h"
#include "views/color_maps.h"
#include "views/compute_view.h"
#include "views/kv_memory_view.h"
#include "views/memory_calculator_view.h"
#include "views/op_breakdown_model.h"
#include "views/value_heatmap.h"

using namespace kvs;
using namespace kvs::ui;

namespace {
void feed(RunData& data, const test::SyntheticRun& run) {
    for (const auto& batch : run.batches) data.append(batch);
    data.append(run.finish);
}

// The height of a drawn line at x (linear between its points), or NaN outside it. A chart
// series holds only the points the line needs (straight stretches are two points).
double line_at(const QXYSeries* series, double x) {
    const QList<QPointF> p = series->points();
    for (int i = 0; i + 1 < p.size(); ++i)
        if (p[i].x() <= x && x <= p[i + 1].x())
            return p[i + 1].x() == p[i].x() ? p[i].y()
                                            : p[i].y() + (p[i + 1].y() - p[i].y()) * (x - p[i].x()) / (p[i + 1].x() - p[i].x());
    return p.size() == 1 && p[0].x() == x ? p[0].y() : std::nan("");
}
}  // namespace

class TestViews : public QObject {
    Q_OBJECT
private slots:
    void kvMemoryHasOnePointPerPositionOnTheFormula();
    void kvMemoryLayerStackAddsUpToTheTotal();
    void kvMemoryProjectsPresets();
    void emptyChartsLabelWholeNumbers();
    void attentionGridHasLayersTimesHeads();
    void attentionGridClickSelects();
    void heatmapImageMatchesProbabilities();
    void heatmapTooltipNamesTokens();
    void downsampledImageAveragesCells();
    void computeViewMatchesCostModel();
    void computeViewDrawsLongRunsAsTouchingBars();
    void breakdownModelIsConsistent();
    void cacheInspectorShowsSnapshot();
    void memoryCalculatorMatchesPublishedFigures();
    void redrawsAreCoalesced();
};

void TestViews::kvMemoryHasOnePointPerPositionOnTheFormula() {
    const auto run = test::make_synthetic_run();
    RunData data;
    KvMemoryView view(&data);
    feed(data, run);
    view.refreshNow();
    const int n = run.final_positions();
    QCOMPARE(n, 54);
    const double scale = view.byteUnit().scale;
    QCOMPARE(view.byteUnit().name, QString("KiB"));  // 54 x 1 KiB per token, 128 KiB allocated
    // The lines run from position 1 to 54 through the bytes of every position. (This synthetic
    // run reports the formula as what its cache holds, a block per position.) The prefill's 5
    // positions were stored in one pass, into memory held before it ran: positions 1-5 stand
    // at the 5 positions' bytes.
    QCOMPARE(view.totalSeries()->at(0).x(), 1.0);
    QCOMPARE(view.totalSeries()->at(view.totalSeries()->count() - 1).x(), double(n));
    for (int pos = 1; pos <= n; ++pos) {
        // 2 (K, V) x 4 layers x 4 KV heads x 8 dims x 4 bytes = 1024 bytes per position
        const double expected = 2.0 * 4 * 4 * 8 * pos * 4;
        const double held = 2.0 * 4 * 4 * 8 * std::max(pos, 5) * 4;
        QVERIFY(qAbs(line_at(view.totalSeries(), pos) * scale - held) < 1e-9 * held);
        QVERIFY(qAbs(line_at(view.formulaSeries(), pos) * scale - expected) < 1e-9 * expected);
    }
    // The formula grows by the same bytes per position: a straight line, drawn with its two
    // ends; the total is flat over the prefill, then straight: three points.
    QCOMPARE(view.totalSeries()->count(), 3);
    QCOMPARE(view.formulaSeries()->count(), 2);
    QCOMPARE(view.capacitySeries()->count(), 2);
    QCOMPARE(view.capacitySeries()->at(0).y() * scale, 128.0 * 1024);
    // The axis fits the run's bytes, the capacity (far above after 54 of 128 positions) only on request.
    const double used = view.totalSeries()->at(view.totalSeries()->count() - 1).y();
    QVERIFY(view.bytesAxis()->max() >= used && view.bytesAxis()->max() < 1.5 * used);
    QVERIFY(view.capacitySeries()->name().contains("off scale"));
    view.setScaledToCapacity(true);
    QVERIFY(view.bytesAxis()->max() * view.byteUnit().scale >= 128.0 * 1024);
    QVERIFY(!view.capacitySeries()->name().contains("off scale"));
}

void TestViews::kvMemoryLayerStackAddsUpToTheTotal() {
    const auto run = test::make_synthetic_run(20);
    RunData data;
    KvMemoryView view(&data);
    feed(data, run);
    view.refreshNow();
    QCOMPARE(view.layerAreaCount(), 4);
    const auto areas = view.chart()->series();
    QAreaSeries* top = nullptr;
    int area_count = 0;
    for (auto* s : areas)
        if (auto* a = qobject_cast<QAreaSeries*>(s)) {
            top = a;
            ++area_count;
        }
    QCOMPARE(area_count, 4);
    QVERIFY(top);
    for (int pos = 1; pos <= 24; ++pos)
        QVERIFY(qAbs(line_at(top->upperSeries(), pos) - line_at(view.totalSeries(), pos)) < 1e-9 * pos);
    // The bottom band is layer 0 alone: a quarter of the total.
    QAreaSeries* bottom = nullptr;
    for (auto* s : areas)
        if ((bottom = qobject_cast<QAreaSeries*>(s))) break;
    QVERIFY(qAbs(line_at(bottom->upperSeries(), 10) * 4 - line_at(view.totalSeries(), 10)) < 1e-9);
    QCOMPARE(line_at(bottom->lowerSeries(), 10), 0.0);
    view.setStackedLayers(false);
    QCOMPARE(view.layerAreaCount(), 0);
}

void TestViews::kvMemoryProjectsPresets() {
    RunData data;
    KvMemoryView view(&data);
    QVERIFY(view.projectedPresets().contains("llama-2-7b"));
    view.setProjectionsVisible(true);
    bool found = false;
    for (auto* s : view.projectionView()->chart()->series()) {
        auto* line = qobject_cast<QLineSeries*>(s);
        QVERIFY(line);
        if (!line->name().startsWith("Llama 2 7B")) continue;
        found = true;
        // f16: 2 x 32 x 32 x 128 x 2 bytes = 512 KiB per token; 4096 tokens = 2 GiB.
        QVERIFY2(line->name().contains("512"), qPrintable(line->name()));
        QCOMPARE(line->at(1).x(), 4096.0);
    }
    QVERIFY(found);
}

void TestViews::emptyChartsLabelWholeNumbers() {
    // Before the first step: positions and steps are whole numbers, so the axes read 0 and 1
    // (not "0 0 0 0 0 1"), and the bytes axis spans 0..1 B (not billionths of a byte).
    RunData data;
    KvMemoryView kv(&data);
    ComputeView compute(&data);
    kv.refreshNow();
    compute.refreshNow();
    auto* x = qobject_cast<QValueAxis*>(kv.chart()->axes(Qt::Horizontal).first());
    QCOMPARE(x->min(), 0.0);
    QCOMPARE(x->max(), 1.0);
    QCOMPARE(x->tickCount(), 2);
    QCOMPARE(kv.bytesAxis()->max(), 1.0);
    QCOMPARE(kv.byteUnit().name, QString("B"));
    auto* cumulative_x = qobject_cast<QValueAxis*>(compute.cumulativeChartView()->chart()->axes(Qt::Horizontal).first());
    QCOMPARE(cumulative_x->max(), 1.0);
    QCOMPARE(cumulative_x->tickCount(), 2);
    // A short run: 14 positions give ticks 0, 5, 10, 15.
    feed(data, test::make_synthetic_run(10, 5, 128, false));
    kv.refreshNow();
    QCOMPARE(x->max(), 15.0);
    QCOMPARE(x->tickCount(), 4);
}

void TestViews::attentionGridHasLayersTimesHeads() {
    const auto run = test::make_synthetic_run(10);
    RunData data;
    AttentionGridView grid(&data);
    feed(data, run);
    grid.refreshNow();
    QCOMPARE(grid.rows(), 4);
    QCOMPARE(grid.columns(), 8);
    QCOMPARE(grid.groupSize(), 2);
    QSet<QString> seen;
    for (int l = 0; l < 4; ++l)
        for (int h = 0; h < 8; ++h) {
            const QImage t = grid.thumbnail(l, h);
            QVERIFY(!t.isNull());
            QCOMPARE(t.size(), QSize(14, 14));  // 14 positions: small enough to keep every cell
            const QRect r = grid.cellRect(l, h);
            seen.insert(QStringLiteral("%1,%2").arg(r.x()).arg(r.y()));
        }
    QCOMPARE(seen.size(), 32);
    // Heads of one KV group are closer to each other than to the next group.
    const int inside = grid.cellRect(0, 1).left() - grid.cellRect(0, 0).right();
    const int across = grid.cellRect(0, 2).left() - grid.cellRect(0, 1).right();
    QVERIFY(across > inside);
}

void TestViews::attentionGridClickSelects() {
    const auto run = test::make_synthetic_run(3);
    RunData data;
    AttentionGridView grid(&data);
    feed(data, run);
    grid.refreshNow();
    grid.resize(grid.sizeHint());
    QSignalSpy spy(&data, &RunData::selectionChanged);
    QTest::mouseClick(&grid, Qt::LeftButton, {}, grid.cellRect(2, 5).center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(data.selectedLayer(), 2);
    QCOMPARE(data.selectedHead(), 5);
}

void TestViews::heatmapImageMatchesProbabilities() {
    const auto run = test::make_synthetic_run();
    RunData data;
    AttentionHeatmap heatmap(&data);
    feed(data, run);
    data.setSelectedLayerHead(1, 3);
    heatmap.refreshNow();
    QCOMPARE(heatmap.matrixSize(), 54);
    QCOMPARE(heatmap.image().size(), QSize(54, 54));
    // Row 0 sees only key 0: p = 1.
    QCOMPARE(heatmap.image().pixel(0, 0), attention_color(1.0f));
    QCOMPARE(heatmap.image().pixel(1, 0), masked_color());
    for (int q : {4, 20, 53}) {
        const auto row = test::synthetic_attention_row(1, 3, q);
        for (int k : {0, q / 2, q}) QCOMPARE(heatmap.image().pixel(k, q), attention_color(row[std::size_t(k)]));
        if (q < 53) QCOMPARE(heatmap.image().pixel(q + 1, q), masked_color());
    }
}

void TestViews::heatmapTooltipNamesTokens() {
    const auto run = test::make_synthetic_run(8);
    RunData data;
    AttentionHeatmap heatmap(&data);
    heatmap.resize(600, 600);
    feed(data, run);
    heatmap.refreshNow();
    // Find the widget point of query 6, key 2 by scanning for it.
    QString text;
    for (int y = 0; y < 600 && text.isEmpty(); y += 2)
        for (int x = 0; x < 600; x += 2)
            if (heatmap.cellAt({x, y}) == QPoint(2, 6)) {
                text = heatmap.tooltipAt({x, y});
                break;
            }
    const auto row = test::synthetic_attention_row(0, 0, 6);
    // Position 6 is the token produced by step 1 (t1); position 2 is the prompt token p2.
    // Labels as the token stream shows them: the generated token " t1" starts with a visible space.
    QVERIFY2(text.contains(QString("query 6 '%1t1'").arg(QChar(0x00B7))), qPrintable(text));
    QVERIFY2(text.contains("key 2 'p2'"), qPrintable(text));
    QVERIFY2(text.contains(QString::number(double(row[2]), 'f', 4)), qPrintable(text));
}

void TestViews::downsampledImageAveragesCells() {
    AttentionMatrix m;
    m.size = 2000;
    m.rows.resize(2000);
    for (int q = 0; q < 2000; ++q) {
        m.rows[std::size_t(q)].resize(std::size_t(q) + 1);
        for (int k = 0; k <= q; ++k) m.rows[std::size_t(q)][std::size_t(k)] = k % 2 ? 0.5f : 0.1f;
    }
    const QImage img = render_attention_image(m, 500);
    QCOMPARE(img.size(), QSize(500, 500));
    // Each pixel covers 4 x 4 cells alternating 0.1 and 0.5: the area mean is 0.3.
    QCOMPARE(img.pixel(10, 400), attention_color(0.3f));
    QCOMPARE(img.pixel(499, 0), masked_color());
    // A diagonal pixel (rows and keys 400..403) averages only the 10 visible cells:
    // 0.1 | 0.1 0.5 | 0.1 0.5 0.1 | 0.1 0.5 0.1 0.5 -> 2.6 / 10.
    QCOMPARE(img.pixel(100, 100), attention_color(0.26f));
}

void TestViews::computeViewMatchesCostModel() {
    const auto run = test::make_synthetic_run();
    RunData data;
    ComputeView view(&data);
    feed(data, run);
    view.refreshNow();
    // One bar (4 outline points) per step: the prefill in its series, the 49 decode steps in theirs.
    QCOMPARE(view.prefillBars()->upperSeries()->count(), 4);
    QCOMPARE(view.decodeBars()->upperSeries()->count(), 4 * 49);
    CostParams prefill;
    prefill.n_tokens = 5;
    const double prefill_flops = total(forward_costs(run.config, prefill)).flops;
    CostParams decode;
    decode.first_pos = 5;
    const double decode_flops = total(forward_costs(run.config, decode)).flops;
    QVERIFY(qAbs(view.stepBarFlops(0) - prefill_flops) < 1e-9 * prefill_flops);
    QVERIFY(qAbs(view.stepBarFlops(1) - decode_flops) < 1e-9 * decode_flops);
    QVERIFY(view.stepBarFlops(49) > view.stepBarFlops(1));  // attention reads one more key per step
    QCOMPARE(view.stepBarFlops(50), 0.0);

    // Cumulative: with the cache the run's own sum; without it every step recomputes 0..pos.
    double cached = 0, uncached = 0;
    for (int s = 0; s < 50; ++s) {
        CostParams c;
        c.first_pos = s == 0 ? 0 : 4 + s;
        c.n_tokens = s == 0 ? 5 : 1;
        cached += total(forward_costs(run.config, c)).flops;
        CostParams u;
        u.n_tokens = c.first_pos + c.n_tokens;
        uncached += total(forward_costs(run.config, u)).flops;
    }
    const int last = view.cachedCumulative()->count() - 1;
    QCOMPARE(last, 49);
    QCOMPARE(view.cachedCumulative()->at(last).x(), 54.0);
    const double ratio = view.uncachedCumulative()->at(last).y() / view.cachedCumulative()->at(last).y();
    QVERIFY(qAbs(ratio - uncached / cached) < 1e-9 * ratio);
    QVERIFY(ratio > 5.0);  // O(S^2) against O(S) at 54 positions
    // Prefill reuses weights across 5 tokens: higher intensity than decode.
    QVERIFY(view.intensityBars()->at(0) > 2.0 * view.intensityBars()->at(1));
    QVERIFY(view.intensityBars()->at(1) > 0.0);
}

void TestViews::computeViewDrawsLongRunsAsTouchingBars() {
    const auto run = test::make_synthetic_run(500, 5, 512, /*attention=*/false);
    RunData data;
    ComputeView view(&data);
    view.resize(1200, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    feed(data, run);
    view.refreshNow();
    // Past 120 steps the decode bars touch: a left foot, two points per bar (or per column of
    // bars once a step is narrower than two pixels), a right foot. Never more than two points
    // per step.
    const int decode_points = view.decodeBars()->upperSeries()->count();
    QVERIFY2(decode_points <= 2 * 499 + 2, qPrintable(QString::number(decode_points)));
    QVERIFY(decode_points >= 2 * 100);
    // Every step is drawn at the height of the tallest step it shares its column with; a decode
    // step costs more the more keys attention reads, so that is the column's last step.
    const QList<QPointF> outline = view.decodeBars()->upperSeries()->points();
    for (int step : {1, 250, 499}) {
        int last_in_column = step;
        for (int i = 1; i + 1 < outline.size(); ++i)
            if (outline[i].x() < step && outline[i + 1].x() > step && outline[i].y() == outline[i + 1].y())
                last_in_column = int(std::floor(outline[i + 1].x()));
        CostParams p;
        p.first_pos = 4 + last_in_column;
        const double expected = total(forward_costs(run.config, p)).flops;
        QVERIFY2(qAbs(view.stepBarFlops(step) - expected) < 1e-9 * expected, qPrintable(QString::number(step)));
    }
    // A second refresh with no new step leaves the axes alone (no relayout of the chart).
    QSignalSpy ranges(qobject_cast<QValueAxis*>(view.cumulativeChartView()->chart()->axes(Qt::Horizontal).first()),
                      &QValueAxis::rangeChanged);
    const qint64 written = view.pointsWritten();
    view.refreshNow();
    QCOMPARE(ranges.count(), 0);
    QCOMPARE(view.pointsWritten(), written);  // and hands the charts nothing
}

void TestViews::breakdownModelIsConsistent() {
    const auto run = test::make_synthetic_run(6);
    RunData data;
    ComputeView view(&data);
    QAbstractItemModelTester tester(view.breakdownModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    feed(data, run);
    view.refreshNow();
    QCOMPARE(view.breakdownStep(), 5);
    data.setSelectedStep(0);
    QCOMPARE(view.breakdownStep(), 0);
    auto* model = view.breakdownModel();
    QVERIFY(model->rowCount() >= 10);
    QCOMPARE(model->columnCount(), int(OpBreakdownModel::ColumnCount));
    CostParams p;
    p.n_tokens = 5;
    const double expected = total(forward_costs(run.config, p)).flops;
    double flops = 0, share = 0, ms = 0;
    for (int r = 0; r < model->rowCount(); ++r) {
        flops += model->index(r, OpBreakdownModel::FlopsColumn).data(OpBreakdownModel::RawValueRole).toDouble();
        share += model->index(r, OpBreakdownModel::ShareColumn).data(OpBreakdownModel::RawValueRole).toDouble();
        ms += model->index(r, OpBreakdownModel::TimeColumn).data(OpBreakdownModel::RawValueRole).toDouble();
    }
    QVERIFY(qAbs(flops - expected) < 1e-9 * expected);
    QVERIFY(qAbs(share - 100.0) < 1e-9);
    QVERIFY(qAbs(ms - 1e-6 * expected) < 1e-9);
    QVERIFY(model->index(0, OpBreakdownModel::TimeColumn).data().toString().endsWith("ms"));
}

void TestViews::cacheInspectorShowsSnapshot() {
    const auto run = test::make_synthetic_run(10);
    RunData data;
    CacheInspectorView view(&data);
    feed(data, run);
    QSignalSpy spy(&view, &CacheInspectorView::snapshotRequested);
    view.requestSnapshot();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 0);
    // Selecting query head 5 shows its KV head (5 / 2 = 2).
    data.setSelectedLayerHead(3, 5);
    QCOMPARE(view.layer(), 3);
    QCOMPARE(view.kvHead(), 2);
    QTRY_VERIFY(spy.count() >= 2);
    QCOMPARE(spy.last().at(0).toInt(), 3);
    QCOMPARE(spy.last().at(1).toInt(), 2);

    KvSnapshot snap;
    snap.layer = 3;
    snap.kv_head = 2;
    snap.length = 14;
    snap.head_dim = 8;
    for (int i = 0; i < 14 * 8; ++i) {
        snap.keys.push_back(float(i % 8) - 3.5f);
        snap.values.push_back(i == 17 ? -9.0f : 0.5f);
    }
    view.setSnapshot(snap);
    QCOMPARE(view.keysHeatmap()->image().size(), QSize(8, 14));  // columns = head_dim, rows = positions
    QCOMPARE(view.keysHeatmap()->scaleMax(), 3.5f);
    QCOMPARE(view.valuesHeatmap()->scaleMax(), 9.0f);
    QCOMPARE(view.keysHeatmap()->image().pixel(7, 0), diverging_color(1.0f));
    QCOMPARE(view.keysHeatmap()->image().pixel(0, 3), diverging_color(-1.0f));
    QCOMPARE(view.valuesHeatmap()->image().pixel(1, 2), diverging_color(-1.0f));
    QVERIFY2(view.shapeText().contains("[kv_heads 4, seq 14, head_dim 8]"), qPrintable(view.shapeText()));
    QVERIFY2(view.shapeText().contains("[14, 8]"), qPrintable(view.shapeText()));
}

void TestViews::memoryCalculatorMatchesPublishedFigures() {
    MemoryCalculatorView calc;
    QVERIFY(calc.selectPreset("llama-2-7b"));
    QVERIFY(calc.setDtype("f16"));
    calc.setTokens(4096);
    calc.setBatch(1);
    QCOMPARE(calc.bytesPerToken(), 524288);  // 0.5 MiB per token
    QCOMPARE(calc.totalBytes(), qint64(2147483648));
    QVERIFY2(calc.formulaText().contains("32 layers"), qPrintable(calc.formulaText()));
    QVERIFY2(calc.resultText().contains("2,147,483,648"), qPrintable(calc.resultText()));
    QVERIFY2(calc.resultText().contains("GiB"), qPrintable(calc.resultText()));
    QVERIFY(calc.selectPreset("llama-3-70b"));
    QCOMPARE(calc.bytesPerToken(), 327680);  // 320 KiB per token with 8 KV heads
    calc.setShape(80, 64, 128);              // the same model without GQA
    QCOMPARE(calc.bytesPerToken(), 2621440);
    calc.setBatch(4);
    QCOMPARE(calc.totalBytes(), qint64(2621440) * 4096 * 4);
    QVERIFY(!calc.selectPreset("no-such-model"));
}

void TestViews::redrawsAreCoalesced() {
    const auto run = test::make_synthetic_run(200, 5, 256);
    RunData data;
    KvMemoryView view(&data);
    int rebuilds = 0;
    connect(view.totalSeries(), &QLineSeries::pointsReplaced, this, [&] { ++rebuilds; });
    for (const auto& batch : run.batches) data.append(batch);
    QCOMPARE(rebuilds, 0);  // nothing redrawn while the batches arrive
    QTRY_COMPARE(rebuilds, 1);
    QCOMPARE(view.totalSeries()->at(view.totalSeries()->count() - 1).x(), 204.0);
}

QTEST_MAIN(TestViews)
#include "test_views.moc"
