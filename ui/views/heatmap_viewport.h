#pragma once
// Which part of a square n x n matrix a heatmap shows: a window in cell coordinates (x = key
// position, y = query position), zoomed around a point and panned by whole-widget drags. In fit
// mode the window is the whole matrix and follows it as it grows (decode adds a row and a
// column per step); a zoom or a pan leaves fit mode and holds the window where the user put it.
#include <QPointF>
#include <QRectF>

namespace kvs::ui {

class HeatmapViewport {
public:
    // Fewest positions a side that a zoom can narrow the window to.
    static constexpr double kMinSide = 4.0;

    void setMatrixSize(int n);
    int matrixSize() const { return n_; }
    QRectF window() const;
    bool fitted() const { return fit_; }

    void fit() { fit_ = true; }
    // Zooms by `factor` (> 1 narrows the window) keeping the cell at `anchor` where it is.
    void zoomAt(QPointF anchor, double factor);
    // Moves the window by a distance in cells.
    void panBy(QPointF cells);
    // Shows exactly `cells` (clamped to the matrix).
    void setWindow(const QRectF& cells);

private:
    void clamp();

    int n_ = 0;
    bool fit_ = true;
    QRectF window_;
};

}  // namespace kvs::ui
