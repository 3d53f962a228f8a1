#include "views/block_grid.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "run_data.h"
#include "views/sequence_colors.h"

namespace kvs::ui {

namespace {
constexpr int kMargin = 4;
constexpr int kMinCell = 10, kMaxCell = 44;
}  // namespace

BlockGrid::BlockGrid(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    setMouseTracking(true);
    setMinimumSize(160, 120);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void BlockGrid::layoutCells() {
    blocks_ = int(run_->pool().blocks().size());
    const int w = std::max(1, width() - 2 * kMargin), h = std::max(1, height() - 2 * kMargin);
    if (blocks_ == 0) return;
    // The largest square cell with which every block fits the widget.
    int cell = int(std::floor(std::sqrt(double(w) * h / blocks_)));
    cell = std::clamp(cell, kMinCell, kMaxCell);
    while (cell > kMinCell && (w / cell) * (h / cell) < blocks_) --cell;
    cell_ = cell;
    columns_ = std::max(1, w / cell_);
}

void BlockGrid::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    layoutCells();
}

QRect BlockGrid::cellRect(int block) const {
    if (block < 0 || block >= blocks_) return {};
    return QRect(kMargin + (block % columns_) * cell_, kMargin + (block / columns_) * cell_, cell_ - 2, cell_ - 2);
}

int BlockGrid::blockAt(QPoint p) const {
    if (p.x() < kMargin || p.y() < kMargin) return -1;
    const int col = (p.x() - kMargin) / cell_, row = (p.y() - kMargin) / cell_;
    if (col >= columns_) return -1;
    const int b = row * columns_ + col;
    return b < blocks_ ? b : -1;
}

void BlockGrid::positions(int sequence, int logical, int& first, int& last, int& filled) const {
    const PoolTracker& pool = run_->pool();
    const int bs = pool.blockSize();
    first = logical * bs;
    last = first + bs - 1;
    filled = std::clamp(pool.tokens(sequence) - first, 0, bs);
}

QString BlockGrid::blockDescription(int block) const {
    const PoolTracker& pool = run_->pool();
    if (block < 0 || block >= int(pool.blocks().size())) return {};
    const PoolTracker::Block& b = pool.blocks()[std::size_t(block)];
    if (b.state == PoolTracker::State::Free) return tr("Block %1: free").arg(block);
    if (b.state == PoolTracker::State::Cached)
        return tr("Block %1: cached. No sequence holds it; the prefix cache keeps its tokens for a prompt that starts "
                  "the same way, until the pool needs the block.")
            .arg(block);
    QStringList lines;
    lines << tr("Block %1").arg(block);
    for (int s : b.holders) {
        const auto& table = pool.table(s);
        const auto it = std::find(table.begin(), table.end(), block);
        if (it == table.end()) continue;
        const int logical = int(it - table.begin());
        int first = 0, last = 0, filled = 0;
        positions(s, logical, first, last, filled);
        lines << tr("sequence %1, logical block %2: positions %3-%4 (%5 of %6 filled)")
                     .arg(s)
                     .arg(logical)
                     .arg(first)
                     .arg(last)
                     .arg(filled)
                     .arg(pool.blockSize());
    }
    if (b.refcount > 1) lines << tr("shared: %1 sequences refer to it (copied before one of them writes into it)").arg(b.refcount);
    return lines.join('\n');
}

void BlockGrid::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const PoolTracker& pool = run_->pool();
    if (int(pool.blocks().size()) != blocks_) layoutCells();
    if (blocks_ == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("The KV block pool appears when a run starts."));
        return;
    }
    const int selected = run_->selectedSequence();
    const int bs = std::max(1, pool.blockSize());
    QFont small = font();
    small.setPixelSize(std::max(8, cell_ / 2));
    p.setFont(small);
    for (int i = 0; i < blocks_; ++i) {
        const PoolTracker::Block& b = pool.blocks()[std::size_t(i)];
        const QRect r = cellRect(i);
        if (b.state == PoolTracker::State::Free) {
            p.setPen(QPen(QColor(200, 200, 200), 1));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r);
            continue;
        }
        if (b.state == PoolTracker::State::Cached) {
            p.setPen(QPen(QColor(150, 150, 150), 1));
            p.setBrush(QBrush(QColor(150, 150, 150), Qt::BDiagPattern));
            p.drawRect(r);
            continue;
        }
        const int owner = b.holders.empty() ? -1 : b.holders.front();
        const QColor color = sequence_color(owner);
        // A sequence's last block is filled to the share of its positions in use.
        int filled = bs;
        const auto& table = pool.table(owner);
        if (!table.empty() && table.back() == i) filled = std::clamp(pool.tokens(owner) - (int(table.size()) - 1) * bs, 0, bs);
        QColor light = color;
        light.setAlpha(70);
        p.setPen(Qt::NoPen);
        p.fillRect(r, light);
        const int h = (r.height() * filled + bs - 1) / bs;
        p.fillRect(QRect(r.left(), r.bottom() - h + 1, r.width(), h), color);
        const bool shared = b.refcount > 1;
        const bool mine = std::find(b.holders.begin(), b.holders.end(), selected) != b.holders.end();
        if (mine) {
            p.setPen(QPen(selected_sequence_frame_color(), 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r.adjusted(1, 1, -1, -1));
        }
        if (shared) {
            p.setPen(QPen(QColor(40, 40, 40), 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r);
            if (cell_ >= 14) {
                p.setPen(Qt::white);
                QRect chip = r.adjusted(r.width() / 5, r.height() / 5, -r.width() / 5, -r.height() / 5);
                p.setBrush(QColor(40, 40, 40));
                p.drawEllipse(chip);
                p.drawText(chip, Qt::AlignCenter, QString::number(b.refcount));
            }
        }
    }
}

void BlockGrid::mouseMoveEvent(QMouseEvent* event) {
    const int b = blockAt(event->position().toPoint());
    if (b >= 0) QToolTip::showText(event->globalPosition().toPoint(), blockDescription(b), this, cellRect(b));
    else QToolTip::hideText();
}

bool BlockGrid::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip) {
        const auto* help = static_cast<QHelpEvent*>(e);
        const int b = blockAt(help->pos());
        if (b >= 0) QToolTip::showText(help->globalPos(), blockDescription(b), this, cellRect(b));
        else QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
}

void BlockGrid::mousePressEvent(QMouseEvent* event) {
    const int b = blockAt(event->position().toPoint());
    if (b < 0) return;
    const PoolTracker::Block& blk = run_->pool().blocks()[std::size_t(b)];
    if (blk.holders.empty()) return;
    // Clicking a shared block again moves on to its next holder.
    const auto it = std::find(blk.holders.begin(), blk.holders.end(), run_->selectedSequence());
    const int next = it == blk.holders.end() || it + 1 == blk.holders.end() ? blk.holders.front() : *(it + 1);
    run_->setSelectedSequence(next);
}

}  // namespace kvs::ui
