#include "views/value_heatmap.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "views/color_maps.h"

namespace kvs::ui {
namespace {
constexpr int kLeft = 56, kTop = 40, kRight = 70, kBottom = 30;
}

ValueHeatmap::ValueHeatmap(QString title, QString row_name, QString column_name, QWidget* parent)
    : QWidget(parent), title_(std::move(title)), row_name_(std::move(row_name)), column_name_(std::move(column_name)) {
    setMouseTracking(true);
    setMinimumSize(200, 200);
}

void ValueHeatmap::setMatrix(int rows, int columns, std::vector<float> values) {
    rows_ = rows;
    columns_ = columns;
    values_ = std::move(values);
    max_abs_ = 0.0f;
    for (float v : values_) max_abs_ = std::max(max_abs_, std::abs(v));
    image_ = QImage();
    if (rows_ > 0 && columns_ > 0 && values_.size() >= std::size_t(rows_) * columns_) {
        const int bin = (rows_ + kMaxImageRows - 1) / kMaxImageRows;
        const int image_rows = (rows_ + bin - 1) / bin;
        image_ = QImage(columns_, image_rows, QImage::Format_RGB32);
        const float inv = max_abs_ > 0 ? 1.0f / max_abs_ : 0.0f;
        std::vector<float> peak(static_cast<std::size_t>(columns_));
        for (int ir = 0; ir < image_rows; ++ir) {
            const int first = ir * bin, last = std::min(rows_, first + bin);
            std::copy_n(values_.data() + std::size_t(first) * columns_, columns_, peak.begin());
            for (int r = first + 1; r < last; ++r)
                for (int c = 0; c < columns_; ++c) {
                    const float v = values_[std::size_t(r) * columns_ + c];
                    if (std::abs(v) > std::abs(peak[std::size_t(c)])) peak[std::size_t(c)] = v;
                }
            auto* line = reinterpret_cast<QRgb*>(image_.scanLine(ir));
            for (int c = 0; c < columns_; ++c) line[c] = diverging_color(peak[std::size_t(c)] * inv);
        }
    }
    update();
}

void ValueHeatmap::setHighlightedRows(int first, int count) {
    if (first == highlight_first_ && count == highlight_count_) return;
    highlight_first_ = first;
    highlight_count_ = count;
    update();
}

QRect ValueHeatmap::matrixRect() const {
    return QRect(kLeft, kTop, std::max(0, width() - kLeft - kRight), std::max(0, height() - kTop - kBottom));
}

void ValueHeatmap::mouseMoveEvent(QMouseEvent* event) {
    const QRect r = matrixRect();
    const QPoint pos = event->position().toPoint();
    if (image_.isNull() || !r.contains(pos)) return QToolTip::hideText();
    const int c = std::min(columns_ - 1, int(double(pos.x() - r.left()) * columns_ / r.width()));
    const int row = std::min(rows_ - 1, int(double(pos.y() - r.top()) * rows_ / r.height()));
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("%1 %2, %3 %4: %5")
                           .arg(row_name_)
                           .arg(row)
                           .arg(column_name_)
                           .arg(c)
                           .arg(double(values_[std::size_t(row) * columns_ + c]), 0, 'g', 5),
                       this);
}

void ValueHeatmap::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    p.drawText(QRect(0, 0, width(), kTop - 18), Qt::AlignCenter, title_);
    const QRect r = matrixRect();
    if (image_.isNull()) {
        p.drawText(rect(), Qt::AlignCenter, tr("No cache contents yet"));
        return;
    }
    p.drawImage(r, image_);
    p.drawRect(r.adjusted(0, 0, -1, -1));
    if (highlight_count_ > 0 && rows_ > 0) {
        const double row = double(r.height()) / rows_;
        p.save();
        p.setPen(QPen(QColor(255, 127, 14), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(r.left() - 3, r.top() + highlight_first_ * row - 1, r.width() + 6, highlight_count_ * row + 2));
        p.restore();
    }
    // Axis captions and a few ticks.
    p.drawText(QRect(r.left(), r.bottom() + 4, r.width(), kBottom - 4), Qt::AlignHCenter | Qt::AlignTop,
               tr("%1 (0..%2) →").arg(column_name_).arg(columns_ - 1));
    p.drawText(QRect(r.left(), kTop - 18, r.width(), 16), Qt::AlignLeft, tr("%1 ↓").arg(row_name_));
    const int row_step = std::max(1, int(std::ceil(rows_ / 8.0)));
    for (int i = 0; i < rows_; i += row_step) {
        const int y = r.top() + int((i + 0.5) * r.height() / rows_);
        p.drawText(QRect(0, y - 8, kLeft - 4, 16), Qt::AlignRight | Qt::AlignVCenter, QString::number(i));
    }
    // Legend: -max .. +max.
    const QRect bar(r.right() + 14, r.top(), 12, r.height());
    for (int y = 0; y < bar.height(); ++y) {
        const float t = 1.0f - 2.0f * float(y) / std::max(1, bar.height() - 1);
        p.setPen(QColor(diverging_color(t)));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(palette().text().color());
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    const auto tick = [&](double frac, double value) {
        const int y = bar.top() + int(frac * (bar.height() - 1));
        p.drawText(QRect(bar.right() + 3, y - 8, kRight - 16, 16), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::number(value, 'g', 3));
    };
    tick(0.0, max_abs_);
    tick(0.5, 0.0);
    tick(1.0, -max_abs_);
}

}  // namespace kvs::ui
