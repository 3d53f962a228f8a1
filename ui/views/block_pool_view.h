#pragma once
// The KV block pool of the run: every physical block (BlockGrid) coloured by the sequence that
// holds it, shared blocks with their reference counts, the fill of last blocks, cached and free
// blocks; beside it the selected sequence's block table (logical block -> physical block and the
// positions it holds); above them the allocator's figures. Updated from the pool events at most
// once per redraw, with work bounded by the pool's size and the table's changed rows.
#include <QWidget>
#include <vector>

class QLabel;
class QTableWidget;

namespace kvs::ui {

class BlockGrid;
class RedrawCoalescer;
class RunData;

class BlockPoolView : public QWidget {
    Q_OBJECT
public:
    explicit BlockPoolView(RunData* run, QWidget* parent = nullptr);

    void refreshNow();
    BlockGrid* grid() const { return grid_; }
    QTableWidget* table() const { return table_; }
    QLabel* summary() const { return summary_; }
    QLabel* legend() const { return legend_; }
    // Table cells written since construction (the work of the refreshes).
    qint64 cellsWritten() const { return cells_written_; }

private:
    void rebuild();
    void updateLegend();

    RunData* run_;
    RedrawCoalescer* redraw_;
    BlockGrid* grid_;
    QTableWidget* table_;
    QLabel* summary_;
    QLabel* legend_;
    QLabel* table_title_;
    std::vector<QStringList> rows_;  // what the table shows
    int legend_sequences_ = -1;
    qint64 cells_written_ = 0;
};

}  // namespace kvs::ui
