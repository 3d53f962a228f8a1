#include "views/perturbation_grid.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "views/color_maps.h"

namespace kvs::ui {

PerturbationGrid::PerturbationGrid(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

void PerturbationGrid::setResult(const PerturbationResult& result) {
    result_ = result;
    // The colour scale spans the nonzero changes of this result, at most 8 decades.
    float high = 0, low = INFINITY;
    for (const kvs::ActivationChange& c : result_.report.changes)
        for (float d : c.max_diff)
            if (d > 0) high = std::max(high, d), low = std::min(low, d);
    log_high_ = high > 0 ? std::log10(high) : 0.0f;
    log_low_ = high > 0 ? std::max(std::log10(low), log_high_ - 8.0f) : -1.0f;
    if (log_high_ - log_low_ < 1.0f) log_low_ = log_high_ - 1.0f;
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    const QFontMetrics metrics(small);
    label_w_ = 0;
    for (int row = 0; row < int(result_.report.changes.size()); ++row)
        label_w_ = std::max(label_w_, metrics.horizontalAdvance(rowLabel(row)));
    label_w_ += 16;
    updateGeometry();
    update();
}

void PerturbationGrid::clear() {
    result_ = {};
    updateGeometry();
    update();
}

QSize PerturbationGrid::sizeHint() const {
    const auto& r = result_.report;
    return {label_w_ + std::max(1, r.positions) * cell_w_ + 8, header_h_ + std::max(1, int(r.changes.size())) * cell_h_ + 8};
}

QRect PerturbationGrid::cellRect(int row, int column) const {
    return {label_w_ + column * cell_w_, header_h_ + row * cell_h_, cell_w_, cell_h_};
}

QString PerturbationGrid::rowLabel(int row) const {
    const kvs::ActivationChange& c = result_.report.changes[std::size_t(row)];
    const QString op = QString::fromUtf8(kvs::tap_label(c.point));
    return c.layer < 0 ? op : tr("L%1 %2").arg(c.layer).arg(op);
}

void PerturbationGrid::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const auto& r = result_.report;
    if (r.changes.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                   tr("Run the experiment: pick a position and press Run."));
        return;
    }
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    // The legend, above the row labels: unchanged, then the scale of the changes.
    const QRect legend(4, 6, label_w_ - 12, 12);
    p.fillRect(QRect(legend.left(), legend.top(), 12, 12), QColor(masked_color()));
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(legend.left() + 16, legend.top() - 2, legend.width(), 16), Qt::AlignVCenter, tr("unchanged"));
    const QRect bar(legend.left(), legend.top() + 30, legend.width(), 10);
    for (int x = 0; x < bar.width(); ++x)
        p.fillRect(QRect(bar.left() + x, bar.top(), 1, bar.height()), QColor(sequential_color(float(x) / float(bar.width()))));
    p.drawText(QRect(bar.left(), bar.top() - 16, bar.width(), 14), Qt::AlignLeft | Qt::AlignVCenter, tr("moved by"));
    p.drawText(QRect(bar.left(), bar.bottom() + 2, bar.width(), 14), Qt::AlignLeft | Qt::AlignVCenter,
               QString::number(double(std::pow(10.0f, log_low_)), 'g', 2));
    p.drawText(QRect(bar.left(), bar.bottom() + 2, bar.width(), 14), Qt::AlignRight | Qt::AlignVCenter,
               QString::number(double(std::pow(10.0f, log_high_)), 'g', 2));
    // Column headers: the tokens, written upwards.
    for (int col = 0; col < r.positions; ++col) {
        const QRect cell = cellRect(0, col);
        p.save();
        p.translate(cell.center().x() + 3, header_h_ - 4);
        p.rotate(-90);
        p.setPen(col == r.position ? palette().color(QPalette::Highlight) : palette().color(QPalette::Text));
        const QString label = col < result_.labels.size() ? result_.labels[col] : QString::number(col);
        p.drawText(0, 0, QStringLiteral("%1 %2").arg(col).arg(label.left(10)));
        p.restore();
    }
    const QColor text = palette().color(QPalette::Text);
    for (int row = 0; row < int(r.changes.size()); ++row) {
        const kvs::ActivationChange& c = r.changes[std::size_t(row)];
        // A thin line between layers.
        if (row > 0 && r.changes[std::size_t(row - 1)].layer != c.layer) {
            p.setPen(QColor(160, 160, 160));
            p.drawLine(4, header_h_ + row * cell_h_, label_w_ + r.positions * cell_w_, header_h_ + row * cell_h_);
        }
        p.setPen(text);
        p.drawText(QRect(4, header_h_ + row * cell_h_, label_w_ - 8, cell_h_), Qt::AlignVCenter | Qt::AlignLeft,
                   rowLabel(row));
        for (int col = 0; col < r.positions && col < int(c.max_diff.size()); ++col) {
            const float d = c.max_diff[std::size_t(col)];
            const QColor fill = d == 0.0f ? QColor(masked_color())
                                          : QColor(sequential_color((std::log10(d) - log_low_) / (log_high_ - log_low_)));
            p.fillRect(cellRect(row, col).adjusted(0, 0, -1, -1), fill);
        }
    }
    // The changed position, outlined over every row.
    p.setPen(QPen(palette().color(QPalette::Highlight), 2));
    p.setBrush(Qt::NoBrush);
    const QRect top = cellRect(0, r.position), bottom = cellRect(int(r.changes.size()) - 1, r.position);
    p.drawRect(QRect(top.topLeft(), bottom.bottomRight()).adjusted(-1, -1, 0, 0));
}

void PerturbationGrid::mouseMoveEvent(QMouseEvent* event) {
    const auto& r = result_.report;
    const QPoint at = event->position().toPoint();
    const int col = (at.x() - label_w_) / cell_w_, row = (at.y() - header_h_) / cell_h_;
    if (at.x() < label_w_ || at.y() < header_h_ || col >= r.positions || row >= int(r.changes.size())) {
        QToolTip::hideText();
        return;
    }
    const float d = r.changes[std::size_t(row)].max_diff[std::size_t(col)];
    const QString token = col < result_.labels.size() ? result_.labels[col] : QString();
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("%1, position %2 '%3': %4").arg(rowLabel(row)).arg(col).arg(token).arg(
                           d == 0.0f ? tr("unchanged (exactly)") : tr("moved by up to %1").arg(double(d), 0, 'g', 3)),
                       this);
}

}  // namespace kvs::ui
