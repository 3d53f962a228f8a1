#pragma once
// The picture of "why only K and V": one row per (layer, op) in pass order, one column per
// position, each cell coloured by how much that activation moved when an earlier token (or one
// op's output) was changed. Cells that did not move at all are pale grey; moved cells go from
// dark to bright on a log scale of the change. The changed position is outlined.
#include <QWidget>

#include "experiment_results.h"

namespace kvs::ui {

class PerturbationGrid : public QWidget {
    Q_OBJECT
public:
    explicit PerturbationGrid(QWidget* parent = nullptr);

    void setResult(const PerturbationResult& result);
    void clear();
    bool hasResult() const { return !result_.report.changes.empty(); }
    QSize sizeHint() const override;
    // Never squeezed: in its scroll area the grid keeps one cell per (op, position) and scrolls.
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRect cellRect(int row, int column) const;
    QString rowLabel(int row) const;

    PerturbationResult result_;
    float log_low_ = -6, log_high_ = 0;  // log10 of the smallest and largest nonzero change shown
    int cell_w_ = 18, cell_h_ = 12;
    int label_w_ = 150, header_h_ = 96;  // label_w_ follows the longest row label
};

}  // namespace kvs::ui
