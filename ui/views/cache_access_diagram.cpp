#include "views/cache_access_diagram.h"

#include <QPainter>
#include <algorithm>
#include <cmath>

#include "views/attention_image.h"

namespace kvs::ui {

namespace {
const QColor kRead(31, 119, 180), kWritten(44, 160, 44), kKept(200, 200, 200), kFree(245, 245, 245);
}  // namespace

CacheAccess cache_access(kvs::OpKind op, int first_pos, int n_positions) {
    CacheAccess a;
    const int end = first_pos + n_positions;  // the cache holds positions 0..end-1 once written
    switch (op) {
        case kvs::OpKind::KvWrite: a.write_first = first_pos, a.write_count = n_positions; break;
        // Each new query meets every key up to its own position: all of K, the new rows included.
        case kvs::OpKind::AttentionScores: a.k_read_first = 0, a.k_read_count = end; break;
        case kvs::OpKind::AttentionValues: a.v_read_first = 0, a.v_read_count = end; break;
        default: break;  // everything else works on this step's positions alone
    }
    return a;
}

CacheAccessDiagram::CacheAccessDiagram(QWidget* parent) : QWidget(parent) { setMinimumSize(320, 260); }

void CacheAccessDiagram::show(kvs::OpKind op, int layer, int first_pos, int n_positions, std::vector<float> weights) {
    shown_ = true;
    op_ = op, layer_ = layer, first_ = first_pos, n_ = n_positions;
    access_ = cache_access(op, first_pos, n_positions);
    weights_ = std::move(weights);
    update();
}

void CacheAccessDiagram::clear() {
    shown_ = false;
    access_ = {};
    weights_.clear();
    update();
}

void CacheAccessDiagram::drawCache(QPainter& p, const QRect& column, const QString& title, int read_first,
                                   int read_count) {
    const int end = first_ + n_;
    // This step's rows are in the cache once its layer's KvWrite ran (after all layers for the
    // final norm and the classifier).
    const bool written_yet = layer_ >= 0 ? op_ > kvs::OpKind::KvWrite : op_ != kvs::OpKind::Embedding;
    p.setPen(palette().text().color());
    p.drawText(QRect(column.left() - 20, column.top() - 22, column.width() + 40, 18), Qt::AlignCenter, title);
    // Rows as bands; with more rows than pixels several share a pixel row (drawn as one band).
    const double row_h = double(column.height()) / std::max(1, end);
    auto band = [&](int first, int count, const QColor& c) {
        if (count <= 0) return;
        p.fillRect(QRectF(column.left(), column.top() + first * row_h, column.width(), std::max(1.0, count * row_h)), c);
    };
    band(0, first_, kKept);
    band(first_, n_, written_yet ? kKept : kFree);
    if (access_.write_count > 0) band(access_.write_first, access_.write_count, kWritten);
    if (read_count > 0) {
        band(read_first, read_count, kRead.lighter(170));
        // The weight of each key for the last query, as the row's strength.
        if (!weights_.empty() && title.startsWith('V')) {
            for (int k = 0; k < std::min<int>(end, int(weights_.size())); ++k) {
                QColor c = kRead;
                c.setAlphaF(std::clamp(std::sqrt(double(weights_[std::size_t(k)])), 0.0, 1.0));
                p.fillRect(QRectF(column.left(), column.top() + k * row_h, column.width(), std::max(1.0, row_h)), c);
            }
        } else {
            band(read_first, read_count, kRead);
        }
    }
    p.setPen(palette().mid().color());
    p.setBrush(Qt::NoBrush);
    p.drawRect(column.adjusted(0, 0, -1, -1));
    // Position numbers at the top, at the start of this step and at the end.
    p.setPen(palette().text().color());
    const QFontMetrics fm(font());
    auto mark = [&](int pos, const QString& text) {
        const int y = column.top() + int(pos * row_h);
        p.drawLine(column.right() + 1, y, column.right() + 5, y);
        p.drawText(QRect(column.right() + 7, y - fm.height() / 2, 120, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, text);
    };
    mark(0, tr("pos 0"));
    if (first_ > 0) mark(first_, tr("pos %1").arg(first_));
    if (n_ > 1) mark(end, tr("pos %1").arg(end));
}

void CacheAccessDiagram::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (!shown_) {
        p.setPen(palette().text().color());
        p.drawText(rect(), Qt::AlignCenter, tr("Run a step, then walk through its ops."));
        return;
    }
    const int top = 40, bottom = height() - 70;
    const int col_w = std::max(40, width() / 7);
    const QRect k_col(width() / 2 - col_w - 30, top, col_w, bottom - top);
    const QRect v_col(width() / 2 + 30, top, col_w, bottom - top);
    const QString layer = layer_ >= 0 ? tr(" of layer %1").arg(layer_) : QString();
    drawCache(p, k_col, tr("K cache%1").arg(layer), access_.k_read_first, access_.k_read_count);
    drawCache(p, v_col, tr("V cache%1").arg(layer), access_.v_read_first, access_.v_read_count);

    // The new token(s) on the left: what the op works on.
    const QRect token(16, top + (bottom - top) / 2 - 20, std::max(60, k_col.left() - 60), 40);
    p.setPen(palette().text().color());
    p.setBrush(QColor(255, 127, 14, 60));
    p.drawRoundedRect(token, 6, 6);
    p.drawText(token, Qt::AlignCenter, n_ == 1 ? tr("token at\npos %1").arg(first_) : tr("%1 tokens\npos %2-%3").arg(n_).arg(first_).arg(first_ + n_ - 1));
    if (access_.touchesCache()) {
        p.setPen(QPen(access_.write_count > 0 ? kWritten : kRead, 2));
        p.drawLine(token.right(), token.center().y(), k_col.left() - 4, token.center().y());
        if (access_.write_count > 0 || access_.v_read_count > 0) {
            p.drawLine(token.center().x(), token.bottom(), token.center().x(), bottom + 14);
            p.drawLine(token.center().x(), bottom + 14, v_col.center().x(), bottom + 14);
            p.drawLine(v_col.center().x(), bottom + 14, v_col.center().x(), bottom + 2);
        }
    }
    // Legend: swatches framed, not filled again with the token's brush.
    p.setBrush(Qt::NoBrush);
    int x = 16;
    const int y = height() - 26;
    for (const auto& [c, text] : {std::pair{kKept, tr("in the cache")}, std::pair{kRead, tr("read")},
                                  std::pair{kWritten, tr("written")}, std::pair{kFree, tr("not yet written")}}) {
        p.fillRect(QRect(x, y, 14, 14), c);
        p.setPen(palette().mid().color());
        p.drawRect(QRect(x, y, 14, 14));
        p.setPen(palette().text().color());
        p.drawText(QRect(x + 18, y - 2, 130, 18), Qt::AlignLeft | Qt::AlignVCenter, text);
        x += 24 + QFontMetrics(font()).horizontalAdvance(text);
    }
}

}  // namespace kvs::ui
