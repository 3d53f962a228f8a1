#include "token_flow_view.h"

#include <QAbstractItemDelegate>
#include <QAbstractItemModel>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QStyleOptionViewItem>
#include <QTimer>
#include <QToolTip>
#include <algorithm>

namespace kvs::ui {

TokenFlowView::TokenFlowView(QWidget* parent) : QAbstractScrollArea(parent) {
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    viewport()->setMouseTracking(true);
    viewport()->setBackgroundRole(QPalette::Base);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, viewport(), qOverload<>(&QWidget::update));
    repaint_ = new QTimer(this);
    repaint_->setSingleShot(true);
    repaint_->setInterval(40);
    connect(repaint_, &QTimer::timeout, this, [this] {
        if (follow_) scrollToBottom();
        follow_ = false;
        viewport()->update();
    });
}

void TokenFlowView::setItemDelegate(QAbstractItemDelegate* delegate) {
    delegate_ = delegate;
    relayoutAll();
}

void TokenFlowView::setModel(QAbstractItemModel* model) {
    if (model_) disconnect(model_, nullptr, this, nullptr);
    model_ = model;
    if (model_) {
        connect(model_, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first, int last) {
            if (first != int(sizes_.size())) return relayoutAll();  // not an append: start over
            const QScrollBar* bar = verticalScrollBar();
            const bool following = bar->value() >= bar->maximum();
            const bool taller = measure(first, last);
            place(taller ? 0 : first);
            if (following) scrollToBottomLater();
            // Only chips that land in view need painting, and a stream of them is painted at most
            // every 40 ms.
            if (visualRect(first).intersects(viewport()->rect()) && !repaint_->isActive()) repaint_->start();
        });
        connect(model_, &QAbstractItemModel::rowsRemoved, this, &TokenFlowView::relayoutAll);
        connect(model_, &QAbstractItemModel::modelReset, this, &TokenFlowView::relayoutAll);
        connect(model_, &QAbstractItemModel::layoutChanged, this, &TokenFlowView::relayoutAll);
        connect(model_, &QAbstractItemModel::dataChanged, viewport(), qOverload<>(&QWidget::update));
    }
    relayoutAll();
}

void TokenFlowView::relayoutAll() {
    sizes_.clear();
    origins_.clear();
    line_height_ = 0;
    hovered_ = -1;
    const int rows = model_ && delegate_ ? model_->rowCount() : 0;
    if (rows > 0) measure(0, rows - 1);
    place(0);
    viewport()->update();
}

bool TokenFlowView::measure(int first, int last) {
    if (!model_ || !delegate_) return false;
    bool taller = false;
    QStyleOptionViewItem option;
    option.initFrom(viewport());
    option.font = font();
    sizes_.resize(std::size_t(last) + 1);
    for (int row = first; row <= last; ++row) {
        const QSize s = delegate_->sizeHint(option, model_->index(row, 0));
        sizes_[std::size_t(row)] = s;
        if (s.height() > line_height_) {
            line_height_ = s.height();
            taller = true;  // every line becomes taller: all chips move
        }
    }
    return taller;
}

void TokenFlowView::place(int first) {
    const int width = std::max(1, viewport()->width());
    if (width != placed_width_) first = 0;
    placed_width_ = width;
    first = std::min(first, int(origins_.size()));
    origins_.resize(sizes_.size());
    int x = kSpacing, y = kSpacing;
    if (first > 0) {
        x = origins_[std::size_t(first) - 1].x() + sizes_[std::size_t(first) - 1].width() + kSpacing;
        y = origins_[std::size_t(first) - 1].y();
    }
    for (std::size_t row = std::size_t(first); row < sizes_.size(); ++row) {
        const int w = sizes_[row].width();
        if (x > kSpacing && x + w + kSpacing > width) {
            x = kSpacing;
            y += line_height_ + kSpacing;
        }
        origins_[row] = {x, y};
        x += w + kSpacing;
        ++chips_placed_;
    }
    updateScrollRange();
}

void TokenFlowView::updateScrollRange() {
    const int content = origins_.empty() ? 0 : origins_.back().y() + line_height_ + kSpacing;
    QScrollBar* bar = verticalScrollBar();
    bar->setPageStep(viewport()->height());
    bar->setSingleStep(std::max(1, line_height_ + kSpacing));
    bar->setRange(0, std::max(0, content - viewport()->height()));
}

QRect TokenFlowView::contentRect(int row) const {
    if (row < 0 || row >= int(origins_.size())) return {};
    return {origins_[std::size_t(row)], QSize(sizes_[std::size_t(row)].width(), line_height_)};
}

QRect TokenFlowView::visualRect(int row) const {
    const QRect r = contentRect(row);
    return r.isValid() ? r.translated(0, -verticalScrollBar()->value()) : r;
}

int TokenFlowView::rowAt(const QPoint& point) const {
    const int y = point.y() + verticalScrollBar()->value();
    // Chips are ordered by line, then by x: find the line, then the chip on it.
    auto it = std::lower_bound(origins_.begin(), origins_.end(), y, [this](const QPoint& o, int value) {
        return o.y() + line_height_ <= value;
    });
    for (; it != origins_.end() && it->y() <= y; ++it) {
        const int row = int(it - origins_.begin());
        if (contentRect(row).contains(point.x(), y)) return row;
    }
    return -1;
}

void TokenFlowView::scrollTo(int row) {
    const QRect r = contentRect(row);
    if (!r.isValid()) return;
    QScrollBar* bar = verticalScrollBar();
    if (r.top() < bar->value()) bar->setValue(r.top() - kSpacing);
    else if (r.bottom() > bar->value() + viewport()->height()) bar->setValue(r.bottom() - viewport()->height() + kSpacing);
}

void TokenFlowView::scrollToBottom() { verticalScrollBar()->setValue(verticalScrollBar()->maximum()); }

void TokenFlowView::scrollToBottomLater() {
    // Scrolling repaints the whole viewport: following a fast stream does it with the repaint.
    follow_ = true;
    if (!repaint_->isActive()) repaint_->start();
}

void TokenFlowView::paintEvent(QPaintEvent*) {
    QPainter painter(viewport());
    if (!model_ || !delegate_ || origins_.empty()) return;
    const int top = verticalScrollBar()->value(), bottom = top + viewport()->height();
    auto it = std::lower_bound(origins_.begin(), origins_.end(), top, [this](const QPoint& o, int value) {
        return o.y() + line_height_ < value;
    });
    QStyleOptionViewItem option;
    option.initFrom(viewport());
    option.font = font();
    const QStyle::State base = option.state & ~QStyle::State_MouseOver;
    for (; it != origins_.end() && it->y() <= bottom; ++it) {
        const int row = int(it - origins_.begin());
        option.rect = visualRect(row);
        option.state = base | (row == hovered_ ? QStyle::State_MouseOver : QStyle::State_None);
        delegate_->paint(&painter, option, model_->index(row, 0));
    }
}

void TokenFlowView::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    if (viewport()->width() != placed_width_) {
        const QScrollBar* bar = verticalScrollBar();
        const bool following = bar->value() >= bar->maximum();
        place(0);
        if (following) scrollToBottom();
    } else {
        updateScrollRange();
    }
}

void TokenFlowView::mousePressEvent(QMouseEvent* event) {
    const int row = rowAt(event->position().toPoint());
    if (row >= 0 && event->button() == Qt::LeftButton) emit clicked(row);
    QAbstractScrollArea::mousePressEvent(event);
}

void TokenFlowView::mouseMoveEvent(QMouseEvent* event) {
    const int row = rowAt(event->position().toPoint());
    if (row != hovered_) {
        viewport()->update(visualRect(hovered_));
        hovered_ = row;
        viewport()->update(visualRect(hovered_));
    }
    QAbstractScrollArea::mouseMoveEvent(event);
}

void TokenFlowView::leaveEvent(QEvent* event) {
    viewport()->update(visualRect(hovered_));
    hovered_ = -1;
    QAbstractScrollArea::leaveEvent(event);
}

bool TokenFlowView::viewportEvent(QEvent* event) {
    if (event->type() == QEvent::ToolTip && model_) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int row = rowAt(help->pos());
        const QString tip = row >= 0 ? model_->index(row, 0).data(Qt::ToolTipRole).toString() : QString();
        if (tip.isEmpty()) QToolTip::hideText();
        else QToolTip::showText(help->globalPos(), tip, viewport(), visualRect(row));
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

}  // namespace kvs::ui
