#pragma once
// The attention matrix of the selected (layer, head) as a large heatmap: rows are query
// positions, columns are key positions. Token labels on both axes when the cells are tall
// enough to read them, a colour legend, and a tooltip naming the query and key tokens and the
// probability under the mouse. Decode steps add rows live, so the causal triangle grows.
#include <QImage>
#include <QWidget>
#include <utility>

namespace kvs::ui {

class RunData;
class RedrawCoalescer;

class AttentionHeatmap : public QWidget {
    Q_OBJECT
public:
    explicit AttentionHeatmap(RunData* run, QWidget* parent = nullptr);

    void refreshNow();
    // The rendered matrix (before scaling to the widget): rows x columns = min(size, maxSide).
    const QImage& image() const { return image_; }
    int matrixSize() const { return size_; }
    static constexpr int kMaxSide = 1024;
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
    QImage image_;
    int size_ = 0;
    int layer_ = 0, head_ = 0;
};

}  // namespace kvs::ui
