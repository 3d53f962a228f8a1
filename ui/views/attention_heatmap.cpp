#include "views/attention_heatmap.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
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
constexpr int kTitleHeight = 40;  // the title and the readout line
constexpr double kWheelZoom = 1.25;  // per wheel notch

QString hint_text() {
    return AttentionHeatmap::tr("Hover a cell to read it; wheel zooms, drag pans, double-click or 0 fits.");
}
}  // namespace

AttentionHeatmap::AttentionHeatmap(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);
    setMouseTracking(true);
    setFocusPolicy(Qt::WheelFocus);
    setMinimumSize(260, 240);
    readout_ = hint_text();
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
    if (layer_ != run_->selectedLayer() || head_ != run_->selectedHead()) {
        builder_.reset();
        window_renderer_.reset();
    }
    layer_ = run_->selectedLayer();
    head_ = run_->selectedHead();
    const AttentionMatrix* m = run_->attention(layer_, head_);
    if (!m) {
        if (builder_.rows() > 0) builder_.reset();
        viewport_.fit();  // a new run starts with the whole matrix in view
    } else if (!builder_.update(*m, kCellsPerRefresh)) {
        redraw_->request();  // the rest at the next refresh
    }
    size_ = builder_.rows();
    viewport_.setMatrixSize(size_);
    update();
}

void AttentionHeatmap::fit() {
    viewport_.fit();
    windowMoved();
}

void AttentionHeatmap::zoomAt(QPointF cell, double factor) {
    viewport_.zoomAt(cell, factor);
    windowMoved();
}

void AttentionHeatmap::setWindow(const QRectF& cells) {
    viewport_.setWindow(cells);
    windowMoved();
}

void AttentionHeatmap::windowMoved() {
    update();
    emit windowChanged();
}

QRect AttentionHeatmap::matrixRect() const {
    // The whole pane: cells need not be square, so a long matrix gets every pixel there is.
    const int w = width() - kLabelWidth - kLegendWidth - 8;
    const int h = height() - kLabelHeight - kTitleHeight - 8;
    return {kLabelWidth, kTitleHeight + kLabelHeight, std::max(0, w), std::max(0, h)};
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

QPointF AttentionHeatmap::cellPointAt(const QPoint& pos) const {
    const QRect r = matrixRect();
    const QRectF win = viewport_.window();
    if (r.width() <= 0 || r.height() <= 0) return {};
    return {win.left() + (pos.x() - r.left() + 0.5) * win.width() / r.width(),
            win.top() + (pos.y() - r.top() + 0.5) * win.height() / r.height()};
}

QPoint AttentionHeatmap::cellAt(const QPoint& pos) const {
    const QRect r = matrixRect();
    if (size_ <= 0 || !r.contains(pos)) return {-1, -1};
    const QPointF c = cellPointAt(pos);
    return {std::clamp(int(c.x()), 0, size_ - 1), std::clamp(int(c.y()), 0, size_ - 1)};
}

QString AttentionHeatmap::tooltipAt(const QPoint& pos) const {
    const QPoint cell = cellAt(pos);
    if (cell.x() < 0) return {};
    const int q = cell.y(), k = cell.x();
    if (k > q) return tr("query %1 '%2' cannot see key %3 (causal mask)").arg(q).arg(tokenLabel(q)).arg(k);
    const AttentionMatrix* m = run_->attention(layer_, head_);
    const float p = m && q < m->size ? m->at(q, k) : 0.0f;
    return tr("query %1 '%2' -> key %3 '%4'\np = %5")
        .arg(q)
        .arg(tokenLabel(q))
        .arg(k)
        .arg(tokenLabel(k))
        .arg(double(p), 0, 'f', 4);
}

void AttentionHeatmap::setReadout(const QPoint& pos) {
    const QString text = tooltipAt(pos);
    const QString line = text.isEmpty() ? hint_text() : QString(text).replace('\n', QLatin1String(":  "));
    if (line != readout_) {
        readout_ = line;
        update(0, 0, width(), kTitleHeight);
    }
}

void AttentionHeatmap::mouseMoveEvent(QMouseEvent* event) {
    const QPoint pos = event->position().toPoint();
    if (dragging_) {
        const QRect r = matrixRect();
        const QRectF win = viewport_.window();
        if (r.width() > 0 && r.height() > 0) {
            const QPoint d = pos - drag_from_;
            viewport_.panBy({-d.x() * win.width() / r.width(), -d.y() * win.height() / r.height()});
            windowMoved();
        }
        drag_from_ = pos;
    }
    setReadout(pos);
    const QString text = tooltipAt(pos);
    if (text.isEmpty() || dragging_)
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void AttentionHeatmap::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !matrixRect().contains(event->position().toPoint())) return;
    dragging_ = true;
    drag_from_ = event->position().toPoint();
    setCursor(Qt::ClosedHandCursor);
}

void AttentionHeatmap::mouseReleaseEvent(QMouseEvent*) {
    dragging_ = false;
    unsetCursor();
}

void AttentionHeatmap::mouseDoubleClickEvent(QMouseEvent*) { fit(); }

void AttentionHeatmap::wheelEvent(QWheelEvent* event) {
    const double notches = event->angleDelta().y() / 120.0;
    if (notches == 0.0 || size_ <= 0) return;
    const QPoint pos = event->position().toPoint();
    const QPointF anchor =
        matrixRect().contains(pos) ? cellPointAt(pos) : viewport_.window().center();
    zoomAt(anchor, std::pow(kWheelZoom, notches));
    setReadout(pos);
    event->accept();
}

void AttentionHeatmap::keyPressEvent(QKeyEvent* event) {
    const QRectF win = viewport_.window();
    switch (event->key()) {
        case Qt::Key_Plus:
        case Qt::Key_Equal: zoomAt(win.center(), kWheelZoom * kWheelZoom); break;
        case Qt::Key_Minus: zoomAt(win.center(), 1.0 / (kWheelZoom * kWheelZoom)); break;
        case Qt::Key_0:
        case Qt::Key_Home: fit(); break;
        case Qt::Key_Left: viewport_.panBy({-win.width() / 10, 0}), windowMoved(); break;
        case Qt::Key_Right: viewport_.panBy({win.width() / 10, 0}), windowMoved(); break;
        case Qt::Key_Up: viewport_.panBy({0, -win.height() / 10}), windowMoved(); break;
        case Qt::Key_Down: viewport_.panBy({0, win.height() / 10}), windowMoved(); break;
        default: QWidget::keyPressEvent(event);
    }
}

void AttentionHeatmap::leaveEvent(QEvent*) {
    readout_ = hint_text();
    update(0, 0, width(), kTitleHeight);
}

void AttentionHeatmap::drawMatrix(QPainter& p, const QRect& r) {
    const QRectF win = viewport_.window();
    if (win.width() <= 0 || win.height() <= 0 || r.isEmpty()) return;
    const double sx = r.width() / win.width(), sy = r.height() / win.height();  // pixels per cell
    const int b = builder_.bin();
    const AttentionMatrix* m = run_->attention(layer_, head_);
    QImage source;
    QRect source_cells;  // the cells the source image covers
    int source_bin = 1;
    const QRect wanted(int(std::floor(win.left())), int(std::floor(win.top())),
                       int(std::ceil(win.right())) - int(std::floor(win.left())),
                       int(std::ceil(win.bottom())) - int(std::floor(win.top())));
    if (b > 1 && m && m->size >= size_ && std::max(sx, sy) * b > 1.0) {
        // Zoomed in past the whole image's resolution: this window from the probabilities, at
        // no more cells a pixel than the screen shows.
        source_bin = std::max(1, int(std::floor(1.0 / std::max(sx, sy))));
        source = window_renderer_.render(*m, wanted, source_bin);
        // The cells its pixels cover (a last, partial bin drawn at the size of a whole one).
        source_cells = QRect(window_renderer_.cells().topLeft(), source.size() * source_bin);
    } else {
        const int x0 = wanted.left() / b, y0 = wanted.top() / b;
        const int x1 = std::min(builder_.cells(), (wanted.right() + b) / b);
        const int y1 = std::min(builder_.cells(), (wanted.bottom() + b) / b);
        if (x1 <= x0 || y1 <= y0) return;
        source_cells = QRect(x0 * b, y0 * b, (x1 - x0) * b, (y1 - y0) * b);
        source_bin = b;
        // A repaint that changes nothing in the picture (the readout line, a hover) reuses it.
        const DrawnKey key{builder_.pixelsColored(), builder_.fullRecolors(), win, r.size()};
        if (!(key == drawn_key_) || drawn_.isNull()) {
            drawn_ = builder_.image().copy(x0, y0, x1 - x0, y1 - y0);
            drawn_key_ = key;
            reduce(drawn_, source_bin, sx, sy);
        }
        source = drawn_;
    }
    if (source.isNull()) return;
    const QRectF target(r.left() + (source_cells.left() - win.left()) * sx, r.top() + (source_cells.top() - win.top()) * sy,
                        source_cells.width() * sx, source_cells.height() * sy);
    if (source_bin < b) reduce(source, source_bin, sx, sy);
    p.save();
    p.setClipRect(r);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, source);
    p.restore();
}

void AttentionHeatmap::reduce(QImage& image, int bin, double sx, double sy) {
    // More image pixels than screen pixels: Qt's smooth reduction averages every pixel it
    // covers (no row dropped). Otherwise nearest neighbour keeps cell edges crisp.
    const double w = image.width() * bin * sx, h = image.height() * bin * sy;
    if (image.width() <= w + 0.5 && image.height() <= h + 0.5) return;
    const QSize size(std::max(1, int(std::lround(std::min<double>(w, image.width())))),
                     std::max(1, int(std::lround(std::min<double>(h, image.height())))));
    image = image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

QImage AttentionHeatmap::renderMatrix(QSize size) {
    QImage out(size, QImage::Format_RGB32);
    out.fill(palette().base().color());
    QPainter p(&out);
    drawMatrix(p, QRect(QPoint(0, 0), size));
    return out;
}

void AttentionHeatmap::drawLabels(QPainter& p, const QRect& r) {
    // Token labels for the positions in view: every position when a cell is a text line tall,
    // otherwise every n-th one, with its position number in front. Key labels lean at 60
    // degrees, so they need a little more room along the axis than a line.
    const QRectF win = viewport_.window();
    const double sx = r.width() / win.width(), sy = r.height() / win.height();
    const QFontMetrics fm(font());
    const int line = fm.height();
    const int stride_q = std::max(1, int(std::ceil(line * 0.95 / std::max(sy, 1e-6))));
    const int stride_k = std::max(1, int(std::ceil(line * 1.2 / std::max(sx, 1e-6))));
    const int first = std::max(0, int(std::floor(win.top()))), last = std::min(size_, int(std::ceil(win.bottom())));
    p.setPen(palette().text().color());
    const auto text_of = [&](int i, int stride) {
        return stride == 1 ? tokenLabel(i) : QStringLiteral("%1 %2").arg(i).arg(tokenLabel(i));
    };
    for (int q = (first + stride_q - 1) / stride_q * stride_q; q < last; q += stride_q) {
        const int y = r.top() + int((q + 0.5 - win.top()) * sy);
        p.drawText(QRect(0, y - line / 2, kLabelWidth - 4, line), Qt::AlignRight | Qt::AlignVCenter,
                   fm.elidedText(text_of(q, stride_q), Qt::ElideRight, kLabelWidth - 6));
    }
    const int first_k = std::max(0, int(std::floor(win.left()))), last_k = std::min(size_, int(std::ceil(win.right())));
    for (int k = (first_k + stride_k - 1) / stride_k * stride_k; k < last_k; k += stride_k) {
        p.save();
        p.translate(r.left() + (k + 0.5 - win.left()) * sx, r.top() - 4);
        p.rotate(-60);
        p.drawText(QRect(0, -line / 2, kLabelHeight + 20, line), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(text_of(k, stride_k), Qt::ElideRight, kLabelHeight + 10));
        p.restore();
    }
    p.drawText(QRect(0, r.top() - kLabelHeight, kLabelWidth, 16), Qt::AlignLeft, tr("query ↓ key →"));
}

void AttentionHeatmap::drawLegend(QPainter& p, const QRect& r) {
    // The colour bar with probabilities (the scale is sqrt(p)), made once per height.
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

void AttentionHeatmap::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    const int kv_head = run_->hasRun() && run_->run().config.gqa_group() > 0
                            ? head_ / run_->run().config.gqa_group()
                            : head_;
    const QRectF win = viewport_.window();
    QString title = tr("Layer %1, head %2 (reads KV head %3): %4 positions").arg(layer_).arg(head_).arg(kv_head).arg(size_);
    if (!viewport_.fitted() && size_ > 0) {
        const QString shown = tr("keys %1–%2, queries %3–%4")
                                  .arg(int(win.left()))
                                  .arg(int(std::ceil(win.right())) - 1)
                                  .arg(int(win.top()))
                                  .arg(int(std::ceil(win.bottom())) - 1);
        title += tr(" · showing ") + shown;
        // A narrow pane gets the short form, so the zoomed window's range stays readable.
        if (QFontMetrics(font()).horizontalAdvance(title) > width() - 8)
            title = tr("L%1 H%2 (KV %3), %4 pos · %5").arg(layer_).arg(head_).arg(kv_head).arg(size_).arg(shown);
    }
    p.drawText(QRect(4, 0, width() - 8, kTitleHeight / 2), Qt::AlignCenter,
               QFontMetrics(font()).elidedText(title, Qt::ElideRight, width() - 8));
    const QRect r = matrixRect();
    if (size_ == 0 || r.width() <= 0 || r.height() <= 0) {
        p.drawText(rect(), Qt::AlignCenter,
                   tr("No attention captured for this head yet.\nTurn on attention capture and run a step."));
        return;
    }
    p.setPen(readout_ == hint_text() ? palette().placeholderText().color() : palette().text().color());
    p.drawText(QRect(4, kTitleHeight / 2, width() - 8, kTitleHeight / 2), Qt::AlignCenter,
               QFontMetrics(font()).elidedText(readout_, Qt::ElideRight, width() - 8));
    drawMatrix(p, r);
    p.setPen(palette().mid().color());
    p.drawRect(r.adjusted(0, 0, -1, -1));

    // The rows of the selected step: the queries it computed (the whole prompt for the prefill).
    if (const auto [first, count] = selectedRows(); count > 0) {
        const double sy = r.height() / win.height();
        p.save();
        p.setClipRect(r.adjusted(-4, 0, 4, 0));
        p.setPen(QPen(QColor(255, 127, 14), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(r.left() - 3, r.top() + (first - win.top()) * sy - 1, r.width() + 6, count * sy + 2));
        p.restore();
    }
    drawLabels(p, r);
    drawLegend(p, r);
}

}  // namespace kvs::ui
