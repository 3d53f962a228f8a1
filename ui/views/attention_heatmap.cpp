#include "views/attention_heatmap.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "run_data.h"
#include "token_list_model.h"
#include "views/attention_image.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {
constexpr int kLabelWidth = 90;   // room for query labels on the left
constexpr int kLabelHeight = 70;  // room for key labels on top
constexpr int kLegendWidth = 70;
constexpr int kTitleHeight = 22;
}  // namespace

AttentionHeatmap::AttentionHeatmap(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);
    setMouseTracking(true);
    setMinimumSize(260, 240);
    setToolTip(tr("Attention probabilities of the selected head: row = query position, column = key "
                  "position. Each row sums to 1 over the keys up to the query; future keys are masked (grey)."));
    connect(run_, &RunData::attentionChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::cleared, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::stepsAppended, redraw_, &RedrawCoalescer::request);  // token labels
    rebuild();
}

void AttentionHeatmap::refreshNow() { redraw_->flush(); }

void AttentionHeatmap::rebuild() {
    if (layer_ != run_->selectedLayer() || head_ != run_->selectedHead()) builder_.reset();
    layer_ = run_->selectedLayer();
    head_ = run_->selectedHead();
    const AttentionMatrix* m = run_->attention(layer_, head_);
    if (!m) {
        if (builder_.rows() > 0) builder_.reset();
    } else if (!builder_.update(*m, kCellsPerRefresh)) {
        redraw_->request();  // the rest at the next refresh
    }
    size_ = builder_.rows();
    update();
}

QRect AttentionHeatmap::matrixRect() const {
    const int avail_w = width() - kLabelWidth - kLegendWidth - 8;
    const int avail_h = height() - kLabelHeight - kTitleHeight - 8;
    const int side = std::max(0, std::min(avail_w, avail_h));
    return {kLabelWidth, kTitleHeight + kLabelHeight, side, side};
}

QString AttentionHeatmap::tokenLabel(int position) const {
    const auto& tokens = run_->tokens();
    if (position < 0 || position >= int(tokens.size())) return QStringLiteral("#%1").arg(position);
    return TokenListModel::chipText(tokens[std::size_t(position)]);  // as the token stream shows it
}

std::pair<int, int> AttentionHeatmap::selectedRows() const {
    const int selected = run_->selectedStep();
    for (const auto& step : run_->steps()) {
        if (step.step != selected) continue;
        const int first = std::min(step.first_pos, size_);
        return {first, std::min(step.first_pos + step.n_positions, size_) - first};
    }
    return {0, 0};
}

QPoint AttentionHeatmap::cellAt(const QPoint& pos) const {
    const QRect r = matrixRect();
    if (size_ <= 0 || !r.contains(pos) || r.width() <= 0) return {-1, -1};
    const int k = std::min(size_ - 1, int(double(pos.x() - r.left()) * size_ / r.width()));
    const int q = std::min(size_ - 1, int(double(pos.y() - r.top()) * size_ / r.height()));
    return {k, q};
}

QString AttentionHeatmap::tooltipAt(const QPoint& pos) const {
    const QPoint cell = cellAt(pos);
    if (cell.x() < 0) return {};
    const int q = cell.y(), k = cell.x();
    if (k > q) return tr("query %1 '%2' cannot see key %3 (causal mask)").arg(q).arg(tokenLabel(q)).arg(k);
    const AttentionMatrix* m = run_->attention(layer_, head_);
    const float p = m ? m->at(q, k) : 0.0f;
    return tr("query %1 '%2' -> key %3 '%4'\np = %5")
        .arg(q)
        .arg(tokenLabel(q))
        .arg(k)
        .arg(tokenLabel(k))
        .arg(double(p), 0, 'f', 4);
}

void AttentionHeatmap::mouseMoveEvent(QMouseEvent* event) {
    const QString text = tooltipAt(event->position().toPoint());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void AttentionHeatmap::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    const int kv_head = run_->hasRun() && run_->run().config.gqa_group() > 0
                            ? head_ / run_->run().config.gqa_group()
                            : head_;
    p.drawText(QRect(0, 0, width(), kTitleHeight), Qt::AlignCenter,
               tr("Layer %1, head %2 (reads KV head %3): %4 positions").arg(layer_).arg(head_).arg(kv_head).arg(size_));
    const QRect r = matrixRect();
    if (size_ == 0 || r.width() <= 0) {
        p.drawText(rect(), Qt::AlignCenter,
                   tr("No attention captured for this head yet.\nTurn on attention capture and run a step."));
        return;
    }
    // Nearest-neighbour scaling keeps cell edges crisp when the matrix is small. The last bin
    // may hold fewer positions than the others: whole pixels are drawn at the scale of full
    // bins and the part past the matrix is clipped.
    const int cells = builder_.cells();
    const double scale = double(r.width()) * builder_.bin() / size_;  // widget pixels per image pixel
    p.save();
    p.setClipRect(r);
    p.drawImage(QRectF(r.left(), r.top(), cells * scale, cells * scale), builder_.image(), QRectF(0, 0, cells, cells));
    p.restore();
    p.setPen(palette().mid().color());
    p.drawRect(r.adjusted(0, 0, -1, -1));

    // The rows of the selected step: the queries it computed (the whole prompt for the prefill).
    const double row = double(r.height()) / size_;
    if (const auto [first, count] = selectedRows(); count > 0) {
        p.setPen(QPen(QColor(255, 127, 14), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(r.left() - 3, r.top() + first * row - 1, r.width() + 6, count * row + 2));
    }

    // Token labels on both axes: every position when a cell is a text line tall, otherwise
    // every n-th one, with its position number in front.
    const double cell = double(r.width()) / size_;
    const QFontMetrics fm(font());
    const int line = fm.height();
    const int stride = std::max(1, int(std::ceil(line * 0.9 / std::max(cell, 1e-6))));
    p.setPen(palette().text().color());
    for (int i = 0; i < size_; i += stride) {
        const QString text = stride == 1 ? tokenLabel(i) : QStringLiteral("%1 %2").arg(i).arg(tokenLabel(i));
        const int mid = int((i + 0.5) * cell);
        p.drawText(QRect(0, r.top() + mid - line / 2, kLabelWidth - 4, line), Qt::AlignRight | Qt::AlignVCenter,
                   fm.elidedText(text, Qt::ElideRight, kLabelWidth - 6));
        p.save();
        p.translate(r.left() + mid, r.top() - 4);
        p.rotate(-60);
        p.drawText(QRect(0, -line / 2, kLabelHeight + 20, line), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(text, Qt::ElideRight, kLabelHeight + 10));
        p.restore();
    }
    p.drawText(QRect(0, r.top() - kLabelHeight, kLabelWidth, 16), Qt::AlignLeft, tr("query ↓ key →"));

    // Legend: the colour bar with probabilities (the scale is sqrt(p)), drawn once per height.
    const QRect bar(r.right() + 16, r.top(), 14, std::max(20, r.height() - 24));
    if (legend_.height() != bar.height()) {
        legend_ = QImage(1, bar.height(), QImage::Format_RGB32);
        for (int y = 0; y < bar.height(); ++y) {
            const float t = 1.0f - float(y) / std::max(1, bar.height() - 1);
            legend_.setPixel(0, y, attention_color(t * t));
        }
    }
    p.drawImage(bar, legend_);
    p.setPen(palette().text().color());
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    for (double prob : {0.0, 0.05, 0.25, 0.5, 1.0}) {
        const int y = bar.bottom() - int(std::sqrt(prob) * (bar.height() - 1));
        p.drawLine(bar.right(), y, bar.right() + 3, y);
        p.drawText(QRect(bar.right() + 5, y - 8, 40, 16), Qt::AlignLeft | Qt::AlignVCenter, QString::number(prob));
    }
    p.drawText(QRect(bar.left() - 4, bar.bottom() + 6, kLegendWidth, 16), Qt::AlignLeft, tr("p (√ scale)"));
}

}  // namespace kvs::ui
