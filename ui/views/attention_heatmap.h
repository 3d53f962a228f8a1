#pragma once
// The attention matrix of the selected (layer, head) as a large heatmap: rows are query
// positions, columns are key positions. It fills its pane; the wheel zooms around the mouse, a
// drag pans, a double-click (or Fit, or the 0 key) shows the whole matrix again. Token labels on
// both axes for the positions in view, as many as fit without overlapping; a colour legend; a
// readout line (and a tooltip) naming the query and key tokens and the probability under the
// mouse. Decode steps add rows live, so the causal triangle grows.
//
// Level of detail: the whole matrix is kept as an image of at most kMaxSide pixels a side
// (AttentionImageBuilder, area averaged); a window zoomed in past that image's resolution is
// drawn from the probabilities themselves (AttentionWindowRenderer). A picture with more rows
// than the screen has pixels is reduced by averaging, never by skipping rows.
#include <QImage>
#include <QWidget>
#include <utility>

#include "views/attention_image_builder.h"
#include "views/attention_window_renderer.h"
#include "views/heatmap_viewport.h"

namespace kvs::ui {

class RunData;
class RedrawCoalescer;

class AttentionHeatmap : public QWidget {
    Q_OBJECT
public:
    explicit AttentionHeatmap(RunData* run, QWidget* parent = nullptr);

    void refreshNow();
    // The rendered matrix (before scaling to the widget): a pixel per position up to kMaxSide
    // positions, beyond that a pixel per bin of 2, 4, ... positions.
    QImage image() const { return builder_.usedImage(); }
    int matrixSize() const { return size_; }
    static constexpr int kMaxSide = 1024;
    // Matrix entries read per refresh at most: a long matrix shown for the first time (a new
    // head, a tab brought to the front) fills in over a few refreshes instead of in one stall.
    static constexpr qint64 kCellsPerRefresh = 3'000'000;
    const AttentionImageBuilder& builder() const { return builder_; }
    const AttentionWindowRenderer& windowRenderer() const { return window_renderer_; }

    // Text of the tooltip for the cell under a widget position; empty outside the matrix.
    QString tooltipAt(const QPoint& pos) const;
    // The line above the matrix: what the mouse is over, or how to zoom and pan.
    QString readout() const { return readout_; }
    // The query rows of the selected step (first row, count), framed in orange; count 0 when
    // no step is selected or its rows are not in the matrix.
    std::pair<int, int> selectedRows() const;
    // Query and key position under a widget position, or (-1, -1).
    QPoint cellAt(const QPoint& pos) const;
    // Where the matrix is drawn in the widget.
    QRect matrixRect() const;

    // The cells in view (x = keys, y = queries) and the zoom.
    QRectF window() const { return viewport_.window(); }
    bool fitted() const { return viewport_.fitted(); }
    void fit();
    void zoomAt(QPointF cell, double factor);
    void setWindow(const QRectF& cells);
    // The matrix part of the picture as it is drawn, at `size` pixels.
    QImage renderMatrix(QSize size);

signals:
    void windowChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    QSize sizeHint() const override { return {560, 520}; }

private:
    void rebuild();
    void drawMatrix(QPainter& p, const QRect& r);
    // Reduces `image` (bin cells a pixel, at sx x sy screen pixels a cell) to the screen's
    // resolution when it has more pixels than the screen shows.
    static void reduce(QImage& image, int bin, double sx, double sy);
    void drawLabels(QPainter& p, const QRect& r);
    void drawLegend(QPainter& p, const QRect& r);
    QPointF cellPointAt(const QPoint& pos) const;  // fractional cell coordinates
    QString tokenLabel(int position) const;
    void setReadout(const QPoint& pos);
    void windowMoved();

    RunData* run_;
    RedrawCoalescer* redraw_;
    AttentionImageBuilder builder_{kMaxSide};
    AttentionWindowRenderer window_renderer_;
    HeatmapViewport viewport_;
    QImage legend_;  // the colour bar, one pixel wide
    // The part of the whole-matrix image last drawn, reduced to the screen, and what it shows
    // (pixelsColored and fullRecolors change whenever the image does).
    struct DrawnKey {
        qint64 pixels_colored = -1;
        int full_recolors = -1;
        QRectF window;
        QSize screen;
        bool operator==(const DrawnKey&) const = default;
    };
    QImage drawn_;
    DrawnKey drawn_key_;
    QString readout_;
    QPoint drag_from_;
    bool dragging_ = false;
    int size_ = 0;
    int layer_ = 0, head_ = 0;
};

}  // namespace kvs::ui
