#pragma once
// One op of one step drawn against the KV cache of its layer: the K and V caches as columns of
// rows (one per position), the rows the op reads (blue) and writes (green), the rows earlier
// steps left in the cache (grey), and, for the attention ops, how much each position weighs
// (the selected head's probabilities, when attention was captured). Ops that touch no cache
// row say so: only the attention ops read other positions.
#include <QWidget>
#include <vector>

#include "core/op_kind.h"

namespace kvs::ui {

// Which cache rows an op reads and writes when a step computes positions
// [first_pos, first_pos + n_positions) of a sequence: a range [first, first + count) each.
struct CacheAccess {
    int k_read_first = 0, k_read_count = 0;
    int v_read_first = 0, v_read_count = 0;
    int write_first = 0, write_count = 0;  // K and V rows alike
    bool touchesCache() const { return k_read_count + v_read_count + write_count > 0; }
};
CacheAccess cache_access(kvs::OpKind op, int first_pos, int n_positions);

class CacheAccessDiagram : public QWidget {
    Q_OBJECT
public:
    explicit CacheAccessDiagram(QWidget* parent = nullptr);
    // The op to draw: which step positions it computes, its layer (-1: outside the layers) and,
    // for attention, the weights of the last query over every key (empty when not captured).
    void show(kvs::OpKind op, int layer, int first_pos, int n_positions, std::vector<float> weights);
    void clear();
    const CacheAccess& access() const { return access_; }

protected:
    void paintEvent(QPaintEvent* event) override;
    QSize sizeHint() const override { return {520, 420}; }

private:
    void drawCache(QPainter& p, const QRect& column, const QString& title, int read_first, int read_count);

    bool shown_ = false;
    kvs::OpKind op_ = kvs::OpKind::Embedding;
    int layer_ = -1, first_ = 0, n_ = 0;
    CacheAccess access_;
    std::vector<float> weights_;
};

}  // namespace kvs::ui
