#include "views/heatmap_viewport.h"

#include <algorithm>

namespace kvs::ui {

void HeatmapViewport::setMatrixSize(int n) {
    n_ = std::max(0, n);
    if (!fit_) clamp();
}

QRectF HeatmapViewport::window() const { return fit_ ? QRectF(0, 0, n_, n_) : window_; }

void HeatmapViewport::zoomAt(QPointF anchor, double factor) {
    if (n_ <= 0 || factor <= 0.0) return;
    const QRectF w = window();
    const double side_x = std::max(std::min(kMinSide, double(n_)), w.width() / factor);
    const double side_y = std::max(std::min(kMinSide, double(n_)), w.height() / factor);
    if (side_x >= n_ && side_y >= n_) {  // zoomed out as far as the matrix goes
        fit_ = true;
        return;
    }
    // The anchor keeps its relative place in the window.
    const double fx = w.width() > 0 ? (anchor.x() - w.left()) / w.width() : 0.5;
    const double fy = w.height() > 0 ? (anchor.y() - w.top()) / w.height() : 0.5;
    window_ = QRectF(anchor.x() - fx * side_x, anchor.y() - fy * side_y, side_x, side_y);
    fit_ = false;
    clamp();
}

void HeatmapViewport::panBy(QPointF cells) {
    if (fit_ || n_ <= 0) return;  // the whole matrix shows: nothing to move to
    window_.translate(cells);
    clamp();
}

void HeatmapViewport::setWindow(const QRectF& cells) {
    window_ = cells.normalized();
    fit_ = false;
    clamp();
}

void HeatmapViewport::clamp() {
    const double n = n_;
    double w = std::min(window_.width(), n), h = std::min(window_.height(), n);
    const double x = std::clamp(window_.left(), 0.0, n - w), y = std::clamp(window_.top(), 0.0, n - h);
    window_ = QRectF(x, y, w, h);
}

}  // namespace kvs::ui
