#pragma once
// The attention matrix of the selected (layer, head) as a large heatmap: rows are query
// positions, columns are key positions. Token labels on both axes when the cells are tall
// enough to read them, a colour legend, and a tooltip naming the query and key tokens and the
// probability under the mouse. Decode steps add rows live, so the causal triangle grows.
#include <QImage>
#include <QWidget>
#include <utility>

#include "views/attention_image_builder.h"

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
    // Text of the tooltip for the cell under a widget position; empty outside the matrix.
    QString tooltipAt(const QPoint& pos) const;
    // The query rows of the selected step (first row, count), framed in orange; count 0 when
    // no step is selected or its rows are not in the matrix.
    std::pair<int, int> selectedRows() const;
    // Query and key position under a widget position, or (-1, -1).
    QPoint cellAt(const QPoint& pos) const;

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    QSize sizeHint() const override { return {560, 520}; }

private:
    void rebuild();
    QRect matrixRect() const;
    QString tokenLabel(int position) const;

    RunData* run_;
    RedrawCoalescer* redraw_;
    AttentionImageBuilder builder_{kMaxSide};
    QImage legend_;  // the colour bar, one pixel wide
    int size_ = 0;
    int layer_ = 0, head_ = 0;
};

}  // namespace kvs::ui
