#pragma once
// The physical blocks of the KV pool as a grid of cells, block 0 at the top left: a block held by
// a sequence in its colour (the last block of a sequence filled to the share of its positions
// in use), a shared block with a dark frame and its reference count, cached blocks hatched grey,
// free ones empty. The selected sequence's blocks are outlined. Hovering a cell names its
// sequence(s), logical index and positions; clicking it selects its sequence. Painting costs one
// cell per block, whatever the run's length.
#include <QWidget>

namespace kvs::ui {

class RunData;

class BlockGrid : public QWidget {
    Q_OBJECT
public:
    explicit BlockGrid(RunData* run, QWidget* parent = nullptr);

    // Cell geometry for the current size; -1 / an empty rect outside the grid.
    int blockAt(QPoint p) const;
    QRect cellRect(int block) const;
    // What hovering a block says.
    QString blockDescription(int block) const;
    int cellSize() const { return cell_; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* e) override;

private:
    void layoutCells();
    // Positions [first, last] of logical block `logical` of `sequence`, and how many are filled.
    void positions(int sequence, int logical, int& first, int& last, int& filled) const;

    RunData* run_;
    int cell_ = 16;
    int columns_ = 1;
    int blocks_ = 0;
};

}  // namespace kvs::ui
