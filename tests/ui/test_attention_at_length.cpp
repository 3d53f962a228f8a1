// The attention heatmap at the lengths real runs reach: it fills its pane, zooms around the
// mouse and pans, reads out the cell under the mouse, and stays sharp at 4096 positions (a
// zoomed-in window is drawn from the probabilities, a fitted one averages rows, none skipped).
#include <QApplication>
#include <QSignalSpy>
#include <QToolButton>
#include <QWheelEvent>
#include <QtTest>

#include "run_data.h"
#include "synthetic_run.h"
#include "views/attention_heatmap.h"
#include "views/attention_image.h"
#include "views/attention_view.h"
#include "views/color_maps.h"

using namespace kvs;
using namespace kvs::ui;

namespace {

void send_move(QWidget& w, QPoint pos, Qt::MouseButtons buttons = Qt::NoButton) {
    QMouseEvent e(QEvent::MouseMove, pos, w.mapToGlobal(pos), Qt::NoButton, buttons, Qt::NoModifier);
    QApplication::sendEvent(&w, &e);
}

void send_button(QWidget& w, QEvent::Type type, QPoint pos) {
    QMouseEvent e(type, pos, w.mapToGlobal(pos), Qt::LeftButton,
                  type == QEvent::MouseButtonRelease ? Qt::NoButton : Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &e);
}

void send_wheel(QWidget& w, QPoint pos, int notches) {
    QWheelEvent e(pos, w.mapToGlobal(pos), QPoint(), QPoint(0, 120 * notches), Qt::NoButton, Qt::NoModifier,
                  Qt::NoScrollPhase, false);
    QApplication::sendEvent(&w, &e);
}

// The widget point at the middle of cell (key k, query q).
QPoint point_of(const AttentionHeatmap& h, int k, int q) {
    const QRect r = h.matrixRect();
    const QRectF win = h.window();
    return {r.left() + int((k + 0.5 - win.left()) * r.width() / win.width()),
            r.top() + int((q + 0.5 - win.top()) * r.height() / win.height())};
}

// One prefill of `n` positions whose layer 0, head 0 attention row q is `row(q)`.
template <typename Row>
std::vector<Event> one_head_run(int n, Row row) {
    auto run = test::make_synthetic_run(1, n, n + 8, false);
    AttentionEvent e;
    e.layer = 0, e.head = 0, e.kv_head = 0, e.first_query = 0, e.n_queries = n, e.n_keys = n;
    e.probs.assign(std::size_t(n) * n, 0.0f);
    for (int q = 0; q < n; ++q) row(q, e.probs.data() + std::size_t(q) * n);
    std::vector<Event> batch = run.batches.front();
    batch.emplace_back(std::in_place_type<AttentionEvent>, std::move(e));
    return batch;
}

}  // namespace

class TestAttentionAtLength : public QObject {
    Q_OBJECT
private slots:
    void theHeatmapFillsItsPane() {
        const auto run = test::make_synthetic_run(400, 5, 512);  // 404 positions
        RunData data;
        AttentionHeatmap heatmap(&data);
        heatmap.resize(640, 900);  // a tall pane: the matrix is not held to a square
        for (const auto& b : run.batches) data.append(b);
        heatmap.refreshNow();
        const QRect r = heatmap.matrixRect();
        QVERIFY2(r.width() > 640 * 2 / 3 && r.height() > 900 * 3 / 4,
                 qPrintable(QString("%1 x %2").arg(r.width()).arg(r.height())));
        QCOMPARE(heatmap.window(), QRectF(0, 0, 404, 404));
    }

    void wheelZoomsAroundTheMouseDragPansDoubleClickFits() {
        const auto run = test::make_synthetic_run(400, 5, 512);
        RunData data;
        AttentionView view(&data);
        view.resize(1200, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        for (const auto& b : run.batches) data.append(b);
        view.refreshNow();
        AttentionHeatmap& h = *view.heatmap();
        QVERIFY2(h.matrixRect().width() > 300, qPrintable(QString::number(h.matrixRect().width())));
        auto* fit_button = view.findChild<QToolButton*>();
        QVERIFY(fit_button && !fit_button->isEnabled());

        // Two notches at the cell near (key 100, query 300): the window narrows by 1.25^2 and
        // the same cell stays under the mouse.
        const QPoint at = point_of(h, 100, 300);
        const QPoint cell = h.cellAt(at);
        QVERIFY(qAbs(cell.x() - 100) <= 1 && qAbs(cell.y() - 300) <= 1);
        send_wheel(h, at, 2);
        QVERIFY(!h.fitted());
        QVERIFY(qAbs(h.window().width() - 404 / 1.5625) < 1e-6);
        QCOMPARE(h.cellAt(at), cell);
        QVERIFY(fit_button->isEnabled());

        // A drag of 40 pixels right and 30 down moves the window left and up by as many cells
        // as those pixels show.
        const QRectF before = h.window();
        const double cells_per_px_x = before.width() / h.matrixRect().width();
        const double cells_per_px_y = before.height() / h.matrixRect().height();
        send_button(h, QEvent::MouseButtonPress, at);
        send_move(h, at + QPoint(40, 30), Qt::LeftButton);
        send_button(h, QEvent::MouseButtonRelease, at + QPoint(40, 30));
        QVERIFY(qAbs(h.window().left() - (before.left() - 40 * cells_per_px_x)) < 1e-6);
        QVERIFY(qAbs(h.window().top() - (before.top() - 30 * cells_per_px_y)) < 1e-6);

        // Zoomed out past the matrix: the whole of it again. The Fit button does the same.
        send_wheel(h, at, -6);
        QVERIFY(h.fitted());
        QVERIFY(!fit_button->isEnabled());
        send_wheel(h, at, 3);
        QVERIFY(!h.fitted());
        fit_button->click();
        QVERIFY(h.fitted());
        send_wheel(h, at, 3);
        QTest::mouseDClick(&h, Qt::LeftButton, {}, at);
        QVERIFY(h.fitted());
        QCOMPARE(h.window(), QRectF(0, 0, 404, 404));
    }

    void hoverReadsOutTokensAndProbability() {
        const auto run = test::make_synthetic_run(400, 5, 512);
        RunData data;
        AttentionHeatmap h(&data);
        h.resize(900, 900);
        for (const auto& b : run.batches) data.append(b);
        h.refreshNow();
        QVERIFY(h.readout().contains("wheel zooms"));
        h.setWindow(QRectF(0, 0, 20, 20));  // a label per position
        send_move(h, point_of(h, 2, 6));
        // Position 6 is the token of step 1 (" t1"), position 2 the prompt's "p2".
        const float p = test::synthetic_attention_row(0, 0, 6)[2];
        const QString expected = QString("query 6 '%1t1' -> key 2 'p2':  p = %2").arg(QChar(0x00B7)).arg(double(p), 0, 'f', 4);
        QCOMPARE(h.readout(), expected);
        send_move(h, point_of(h, 9, 6));  // a future key
        QVERIFY2(h.readout().contains("cannot see key 9 (causal mask)"), qPrintable(h.readout()));
    }

    void zoomedInAt4096PositionsEveryCellIsDrawnFromItsProbability() {
        // p = 1 on the diagonal: a query reads only itself. The whole matrix is kept at one
        // pixel per 4 x 4 cells (4096 > 1024), where a diagonal pixel would be 4/10 of the
        // visible mass; zoomed in, each cell is its own colour.
        constexpr int n = 4096;
        RunData data;
        AttentionHeatmap h(&data);
        h.resize(900, 900);
        data.append(one_head_run(n, [](int q, float* row) { row[q] = 1.0f; }));
        do h.refreshNow();
        while (h.builder().rows() < n);
        QCOMPARE(h.builder().bin(), 4);
        h.setWindow(QRectF(2000, 2000, 64, 64));
        const QImage img = h.renderMatrix(QSize(640, 640));  // 10 pixels a cell
        for (int i : {0, 1, 13, 62, 63}) {
            QCOMPARE(img.pixel(i * 10 + 5, i * 10 + 5), attention_color(1.0f));          // (2000+i, 2000+i)
            if (i > 0) QCOMPARE(img.pixel((i - 1) * 10 + 5, i * 10 + 5), attention_color(0.0f));  // a key before
            if (i < 63) QCOMPARE(img.pixel((i + 1) * 10 + 5, i * 10 + 5), masked_color());      // a future key
        }
        // Only the window was read: 64 rows of at most 64 keys.
        QVERIFY(h.windowRenderer().cellsRead() <= 64 * 64);
    }

    void fittedAt4096PositionsNoRowIsSkipped() {
        // Uniform rows but one: query 3005 puts all its weight on key 2. At 4096 positions in
        // 512 pixels a pixel covers 8 x 8 cells; the row must still show (averaged, not dropped).
        constexpr int n = 4096, hot = 3005;
        RunData data;
        AttentionHeatmap h(&data);
        data.append(one_head_run(n, [](int q, float* row) {
            if (q == hot) row[2] = 1.0f;
            else std::fill(row, row + q + 1, 1.0f / float(q + 1));
        }));
        do h.refreshNow();
        while (h.builder().rows() < n);
        const QImage img = h.renderMatrix(QSize(512, 512));
        const int y = hot / 8;
        // Its pixel: the mean of 8 x 8 cells of which one is 1 and the rest about 1/3000.
        const QRgb there = img.pixel(0, y), above = img.pixel(0, y - 3), below = img.pixel(0, y + 3);
        QCOMPARE(above, below);
        QVERIFY2(there != above, "the row with all its weight on one key vanished");
        QVERIFY(qGreen(there) > qGreen(above) || qRed(there) > qRed(above));  // brighter: more weight
    }
};

QTEST_MAIN(TestAttentionAtLength)
#include "test_attention_at_length.moc"
