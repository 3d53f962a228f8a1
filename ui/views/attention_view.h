#pragma once
// The attention tab: the grid of all heads beside the large heatmap of the selected head.
#include <QWidget>

class QScrollArea;
class QSplitter;
class QToolButton;

namespace kvs::ui {

class RunData;
class AttentionGridView;
class AttentionHeatmap;

class AttentionView : public QWidget {
    Q_OBJECT
public:
    explicit AttentionView(RunData* run, QWidget* parent = nullptr);
    void refreshNow();
    AttentionGridView* grid() const { return grid_; }
    AttentionHeatmap* heatmap() const { return heatmap_; }

private:
    void fitGrid();

    AttentionGridView* grid_;
    AttentionHeatmap* heatmap_;
    QSplitter* splitter_;
    QScrollArea* scroll_;
    QToolButton* fit_button_;
};

}  // namespace kvs::ui
