// The work a live view does when one more step arrives must not grow with the run: charts hand
// their series a number of points bounded by the plot's width (not one per position), attention
// images add the new rows and recolour only the pixel rows they touch, the token stream places
// the new chip only. Each test runs the same refresh at two run lengths and compares the work
// counters the views keep (no clocks: how long the work takes is `kvscope-cli bench-gui`'s job).
#include <QAreaSeries>
#include <QLineSeries>
#include <QTextBrowser>
#include <QtTest>
#include <cmath>

#include "run_data.h"
#include "synthetic_run.h"
#include "token_flow_view.h"
#include "token_stream_view.h"
#include "views/attention_grid_view.h"
#include "views/attention_heatmap.h"
#include "views/attention_image.h"
#include "views/compute_view.h"
#include "views/decimated_series.h"
#include "views/kv_memory_view.h"

using namespace kvs;
using namespace kvs::ui;

namespace {

// Feeds every step but the last, then the last one, calling `refresh` after each part, and
// returns what `counter` grew by in the second refresh: the cost of one more step.
template <typename Refresh, typename Counter>
qint64 work_of_last_step(RunData& data, const test::SyntheticRun& run, Refresh refresh, Counter counter) {
    for (std::size_t i = 0; i + 1 < run.batches.size(); ++i) data.append(run.batches[i]);
    refresh();
    const qint64 before = counter();
    data.append(run.batches.back());
    refresh();
    return counter() - before;
}

// A run whose cache ends at `positions` (a 5-token prompt, then one position per step).
test::SyntheticRun run_to(int positions, bool attention) {
    return test::make_synthetic_run(positions - 4, 5, positions + 8, attention);
}

}  // namespace

class TestRefreshWork : public QObject {
    Q_OBJECT
private slots:
    void kvMemoryChartPointsDoNotGrowWithTheRun() {
        // Both lengths are past one sample per column, where every refresh rewrites the series.
        qint64 work[2] = {0, 0};
        int shown[2] = {0, 0};
        const int lengths[2] = {4096, 16384};
        for (int i = 0; i < 2; ++i) {
            RunData data;
            KvMemoryView view(&data);  // never shown: the plot counts as 1024 pixels wide
            const auto run = run_to(lengths[i], false);
            work[i] = work_of_last_step(data, run, [&] { view.refreshNow(); }, [&] { return view.pointsWritten(); });
            shown[i] = view.pointsShown();
            // The total still ends where the formula says: 1 KiB per position.
            const auto* total = view.totalSeries();
            QCOMPARE(total->at(total->count() - 1).x(), double(lengths[i]));
            QCOMPARE(total->at(total->count() - 1).y() * view.byteUnit().scale, 1024.0 * lengths[i]);
        }
        qInfo("KV memory chart, one more step: %lld points at 4096 positions, %lld at 16384 (%d and %d shown)",
              work[0], work[1], shown[0], shown[1]);
        // 10 series (total, formula, the lower and upper edges of 4 layer bands), each at most 4
        // points per column of 2 pixels: bounded by the plot, not by the run.
        QVERIFY(shown[1] <= 10 * 4 * 512);
        // A chart that rebuilt whole series from every sample would write 4 times as many points
        // at 16384 positions as at 4096.
        QVERIFY2(work[1] < work[0] * 3 / 2, qPrintable(QString("%1 vs %2").arg(work[1]).arg(work[0])));
        QVERIFY(work[1] <= shown[1]);
    }

    void decimationKeepsEachColumnsExtremes() {
        // A wiggly line of 100000 samples on 64 columns: at most 4 points a column, and each
        // column's lowest and highest sample among them, so the drawn band is the same.
        QLineSeries series;
        DecimatedSeries line(&series);
        const int n = 100000;
        for (int i = 0; i < n; ++i) line.append(i, std::sin(i * 0.013) + 0.3 * std::sin(i * 0.71));
        const double width = n / 64.0;
        line.setColumns(0.0, width);
        line.sync(1.0);
        QVERIFY(series.count() <= 4 * 64);
        QVERIFY(series.count() >= 2 * 64);
        for (int c = 0; c < 64; ++c) {
            double lo = 1e9, hi = -1e9, shown_lo = 1e9, shown_hi = -1e9;
            for (int i = int(std::ceil(c * width)); i < n && i < (c + 1) * width; ++i) {
                const double y = std::sin(i * 0.013) + 0.3 * std::sin(i * 0.71);
                lo = std::min(lo, y);
                hi = std::max(hi, y);
            }
            for (const QPointF& p : series.points())
                if (p.x() >= c * width && p.x() < (c + 1) * width) {
                    shown_lo = std::min(shown_lo, p.y());
                    shown_hi = std::max(shown_hi, p.y());
                }
            QCOMPARE(shown_lo, lo);
            QCOMPARE(shown_hi, hi);
        }
        // A refresh with nothing new hands the chart nothing.
        const qint64 written = line.pointsWritten();
        line.sync(1.0);
        QCOMPARE(line.pointsWritten(), written);
    }

    void computeChartPointsDoNotGrowWithTheRun() {
        qint64 work[2] = {0, 0};
        const int lengths[2] = {4096, 16384};
        for (int i = 0; i < 2; ++i) {
            RunData data;
            ComputeView view(&data);
            const auto run = run_to(lengths[i], false);
            work[i] = work_of_last_step(data, run, [&] { view.refreshNow(); }, [&] { return view.pointsWritten(); });
            QVERIFY(view.decodeBars()->upperSeries()->count() <= 2 * 512 + 2);
            QVERIFY(view.cachedCumulative()->count() <= 4 * 512);
            QCOMPARE(view.cachedCumulative()->at(view.cachedCumulative()->count() - 1).x(), double(lengths[i]));
        }
        qInfo("compute charts, one more step: %lld points at 4096 positions, %lld at 16384", work[0], work[1]);
        QVERIFY2(work[1] < work[0] * 3 / 2, qPrintable(QString("%1 vs %2").arg(work[1]).arg(work[0])));
    }

    void attentionImagesAddOnlyTheNewRow() {
        for (int positions : {300, 1200}) {
            RunData data;
            AttentionHeatmap heatmap(&data);
            AttentionGridView grid(&data);
            const auto run = run_to(positions, true);
            for (std::size_t i = 0; i + 1 < run.batches.size(); ++i) data.append(run.batches[i]);
            heatmap.refreshNow();
            do grid.refreshNow();  // 32 heads catch up within a budget per refresh
            while (!grid.upToDate());
            const AttentionImageBuilder& b = heatmap.builder();
            const qint64 cells = b.cellsRead(), pixels = b.pixelsColored(), grid_pixels = grid.pixelsColored();
            const int full = b.fullRecolors(), grid_full = grid.fullRecolors();
            data.append(run.batches.back());
            heatmap.refreshNow();
            grid.refreshNow();
            QCOMPARE(heatmap.matrixSize(), positions);
            // One query row over `positions` keys was read, nothing before it.
            QCOMPARE(b.cellsRead() - cells, qint64(positions));
            // One row of pixels recoloured (of at most kMaxSide), no image drawn anew.
            QVERIFY(b.pixelsColored() - pixels <= AttentionHeatmap::kMaxSide);
            QCOMPARE(b.pixelsColored() - pixels, qint64(b.cells()));
            QCOMPARE(b.fullRecolors(), full);
            // The grid: one pixel row of each of the 32 thumbnails.
            QVERIFY2(grid.pixelsColored() - grid_pixels <= 32 * AttentionGridView::kThumb,
                     qPrintable(QString("%1 pixels at %2 positions").arg(grid.pixelsColored() - grid_pixels).arg(positions)));
            QCOMPARE(grid.fullRecolors(), grid_full);
            // The pixels are still the means of the cells they cover (rows 0..1 and keys 0..1 of
            // head 0: row 0 sees key 0 only).
            const auto row1 = test::synthetic_attention_row(0, 0, 1);
            if (b.bin() == 2) {
                const float mean = float((1.0 + (double(row1[0]) + double(row1[1]))) / 3.0);
                QCOMPARE(heatmap.image().pixel(0, 0), attention_color(mean));
            }
        }
    }

    void longMatrixFillsInWithinABudget() {
        // A matrix shown for the first time (a new head, a tab brought to the front) is read in
        // slices: each refresh reads about a budget of cells and the image grows by rows.
        AttentionMatrix m;
        m.size = 3000;
        m.rows.resize(3000);
        for (int q = 0; q < 3000; ++q) m.rows[std::size_t(q)].assign(std::size_t(q) + 1, 1.0f / float(q + 1));
        AttentionImageBuilder builder(AttentionHeatmap::kMaxSide);
        const qint64 budget = 1'000'000, all = 3000LL * 3001 / 2;
        int refreshes = 0;
        qint64 previous = 0;
        while (!builder.update(m, budget)) {
            ++refreshes;
            QVERIFY(builder.cellsRead() - previous <= budget + 3000);  // a row is never split
            previous = builder.cellsRead();
        }
        QCOMPARE(builder.cellsRead(), all);
        QCOMPARE(refreshes, int(all / budget));  // 4.5 million cells: four full slices and a rest
        QCOMPARE(builder.bin(), 4);  // 3000 positions at most 1024 pixels a side
        QCOMPARE(builder.cells(), 750);
        // Row q spreads 1 evenly over q + 1 keys: the mean of any bin is the mean of 1/(q+1) over
        // its visible cells. The first pixel: rows 0..3 x keys 0..3, 10 visible cells:
        // 1 + 2 x 1/2 + 3 x 1/3 + 4 x 1/4 = 4, mean 0.4.
        QCOMPARE(builder.usedImage().pixel(0, 0), attention_color(0.4f));
    }

    void tokenStreamPlacesOnlyTheNewChip() {
        for (int positions : {512, 4096}) {
            RunData data;
            TokenStreamView stream(&data);
            stream.resize(800, 300);
            stream.show();
            QVERIFY(QTest::qWaitForWindowExposed(&stream));
            const auto run = run_to(positions, false);
            const qint64 placed =
                work_of_last_step(data, run, [] { QCoreApplication::processEvents(); },
                                  [&] { return stream.chips()->chipsPlaced(); });
            QCOMPARE(placed, 1);
            QCOMPARE(stream.chips()->model()->rowCount(), positions + 1);  // the last token is sampled, not cached
            // The text pane shows at most the last kShownText characters of the text.
            QTRY_VERIFY(stream.decodedText().endsWith(QString(" t%1").arg(run.steps - 1)));
            QVERIFY(stream.textPane()->toPlainText().size() <= TokenStreamView::kShownText + 1);
            QVERIFY(stream.textPane()->toPlainText().endsWith(QString(" t%1").arg(run.steps - 1)));
        }
    }
};

QTEST_MAIN(TestRefreshWork)
#include "test_refresh_work.moc"
