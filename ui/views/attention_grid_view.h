#pragma once
// Every attention head at a glance: a layers x heads grid of small heatmaps. Query heads that
// share one KV head (grouped-query attention) sit together inside one frame labelled with that
// KV head. Clicking a thumbnail selects its layer and head for the large heatmap and the cache
// inspector.
#include <QImage>
#include <QWidget>
#include <map>
#include <memory>
#include <utility>

#include "views/attention_image_builder.h"

namespace kvs::ui {

class RunData;
class RedrawCoalescer;

class AttentionGridView : public QWidget {
    Q_OBJECT
public:
    explicit AttentionGridView(RunData* run, QWidget* parent = nullptr);

    void refreshNow();
    int rows() const { return layers_; }     // layers
    int columns() const { return heads_; }   // query heads
    int groupSize() const { return group_; } // query heads per KV head
    // Where a cell is drawn, in widget coordinates.
    QRect cellRect(int layer, int head) const;
    // The thumbnail of one head (null when nothing was captured for it).
    QImage thumbnail(int layer, int head) const;
    static constexpr int kThumb = 56;
    // Matrix entries read per refresh over all heads at most (see AttentionHeatmap).
    static constexpr qint64 kCellsPerRefresh = 6'000'000;
    // Work done so far by all thumbnails: pixels coloured, and times one was coloured anew.
    qint64 pixelsColored() const;
    int fullRecolors() const;
    // Every captured row is in the thumbnails (false while a long run catches up).
    bool upToDate() const { return up_to_date_; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();
    std::pair<int, int> cellAt(const QPoint& pos) const;

    RunData* run_;
    RedrawCoalescer* redraw_;
    int layers_ = 0, heads_ = 0, group_ = 1;
    bool up_to_date_ = true;
    std::map<std::pair<int, int>, std::unique_ptr<AttentionImageBuilder>> thumbs_;
};

}  // namespace kvs::ui
