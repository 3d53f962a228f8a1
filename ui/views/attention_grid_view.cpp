#include "views/attention_grid_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>

#include "run_data.h"
#include "views/attention_image.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {
constexpr int kGap = 4;         // between thumbnails of one group
constexpr int kGroupGap = 14;   // between KV-head groups
constexpr int kRowLabel = 34;   // "L12"
constexpr int kHeader = 36;     // KV head and head labels
}  // namespace

AttentionGridView::AttentionGridView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);
    setMouseTracking(true);
    setToolTip(tr("One thumbnail per layer and query head. Heads framed together share one KV head "
                  "(grouped-query attention): they read the same cached keys and values but weigh them "
                  "differently. Click a thumbnail to inspect it."));
    connect(run_, &RunData::attentionChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::cleared, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, qOverload<>(&QWidget::update));
    rebuild();
}

void AttentionGridView::refreshNow() { redraw_->flush(); }

void AttentionGridView::rebuild() {
    const int old_layers = layers_, old_heads = heads_;
    if (run_->hasRun()) {
        const auto& c = run_->run().config;
        layers_ = c.n_layers;
        heads_ = c.n_heads;
        group_ = std::max(1, c.gqa_group());
    } else {
        layers_ = heads_ = 0;
        group_ = 1;
    }
    // Each thumbnail adds the rows that arrived since the last refresh, within one budget for all.
    qint64 budget = kCellsPerRefresh;
    bool complete = true;
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) {
            const AttentionMatrix* m = run_->attention(l, h);
            auto it = thumbs_.find({l, h});
            if (!m) {
                if (it != thumbs_.end()) thumbs_.erase(it);
                continue;
            }
            if (it == thumbs_.end()) it = thumbs_.emplace(std::make_pair(l, h), std::make_unique<AttentionImageBuilder>(kThumb)).first;
            const qint64 before = it->second->cellsRead();
            if (budget <= 0 || !it->second->update(*m, budget)) complete = false;
            budget -= it->second->cellsRead() - before;
        }
    // Heads of a previous model (more layers or heads) go.
    for (auto it = thumbs_.begin(); it != thumbs_.end();)
        it = it->first.first >= layers_ || it->first.second >= heads_ ? thumbs_.erase(it) : std::next(it);
    up_to_date_ = complete;
    if (!complete) redraw_->request();
    if (old_layers != layers_ || old_heads != heads_) updateGeometry();
    update();
}

QRect AttentionGridView::cellRect(int layer, int head) const {
    const int group = head / group_;
    const int x = kRowLabel + head * (kThumb + kGap) + group * (kGroupGap - kGap);
    const int y = kHeader + layer * (kThumb + kGap);
    return {x, y, kThumb, kThumb};
}

QSize AttentionGridView::sizeHint() const {
    if (layers_ == 0 || heads_ == 0) return {300, 120};
    const QRect last = cellRect(layers_ - 1, heads_ - 1);
    return {last.right() + 10, last.bottom() + 10};
}

QImage AttentionGridView::thumbnail(int layer, int head) const {
    auto it = thumbs_.find({layer, head});
    return it == thumbs_.end() || it->second->rows() == 0 ? QImage() : it->second->usedImage();
}

qint64 AttentionGridView::pixelsColored() const {
    qint64 n = 0;
    for (const auto& [key, builder] : thumbs_) n += builder->pixelsColored();
    return n;
}

int AttentionGridView::fullRecolors() const {
    int n = 0;
    for (const auto& [key, builder] : thumbs_) n += builder->fullRecolors();
    return n;
}

std::pair<int, int> AttentionGridView::cellAt(const QPoint& pos) const {
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h)
            if (cellRect(l, h).contains(pos)) return {l, h};
    return {-1, -1};
}

void AttentionGridView::mousePressEvent(QMouseEvent* event) {
    const auto [l, h] = cellAt(event->position().toPoint());
    if (l >= 0) run_->setSelectedLayerHead(l, h);
}

void AttentionGridView::mouseMoveEvent(QMouseEvent* event) {
    const auto [l, h] = cellAt(event->position().toPoint());
    if (l < 0) return QToolTip::hideText();
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("layer %1, head %2 (KV head %3)").arg(l).arg(h).arg(h / group_), this);
}

void AttentionGridView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    if (layers_ == 0) {
        p.drawText(rect(), Qt::AlignCenter, tr("Start a run to see its attention heads."));
        return;
    }
    const int n_groups = (heads_ + group_ - 1) / group_;
    // KV-head groups: one frame per group spanning all layers, labelled on top.
    for (int g = 0; g < n_groups; ++g) {
        const int first = g * group_, last = std::min(heads_, first + group_) - 1;
        const QRect frame = cellRect(0, first).united(cellRect(layers_ - 1, last)).adjusted(-3, -3, 3, 3);
        p.setPen(QPen(palette().highlight().color().darker(110), 1, Qt::DashLine));
        p.drawRoundedRect(frame, 4, 4);
        p.setPen(palette().text().color());
        p.drawText(QRect(frame.left(), 0, frame.width(), kHeader / 2), Qt::AlignCenter,
                   group_ > 1 ? tr("KV head %1").arg(g) : QString());
    }
    for (int h = 0; h < heads_; ++h) {
        const QRect c = cellRect(0, h);
        p.drawText(QRect(c.left(), kHeader / 2 - 2, c.width(), kHeader / 2), Qt::AlignCenter, tr("h%1").arg(h));
    }
    const int selected_layer = run_->selectedLayer(), selected_head = run_->selectedHead();
    for (int l = 0; l < layers_; ++l) {
        const QRect row = cellRect(l, 0);
        p.setPen(palette().text().color());
        p.drawText(QRect(0, row.top(), kRowLabel - 4, row.height()), Qt::AlignRight | Qt::AlignVCenter,
                   tr("L%1").arg(l));
        for (int h = 0; h < heads_; ++h) {
            const QRect c = cellRect(l, h);
            auto it = thumbs_.find({l, h});
            if (it == thumbs_.end() || it->second->rows() == 0) {
                p.fillRect(c, palette().midlight());
            } else {
                // Scaled with nearest neighbour when smaller than the cell; the last bin may be
                // partial, so full bins set the scale and the rest is clipped.
                const AttentionImageBuilder& b = *it->second;
                const double scale = double(c.width()) * b.bin() / b.rows();
                p.save();
                p.setClipRect(c);
                p.drawImage(QRectF(c.left(), c.top(), b.cells() * scale, b.cells() * scale), b.image(),
                            QRectF(0, 0, b.cells(), b.cells()));
                p.restore();
            }
            if (l == selected_layer && h == selected_head) {
                p.setPen(QPen(palette().highlight().color(), 3));
                p.drawRect(c.adjusted(-1, -1, 1, 1));
            }
        }
    }
}

}  // namespace kvs::ui
