#pragma once
// Bars at whole-number x (steps), drawn as the outline of an area series (a bar series needs a
// category per bar, and laying out thousands of categories stalls a chart). While bars are
// wider than two pixels there is one per step, with gaps between them when there are few; beyond
// that, steps share columns of two pixels and each column draws its tallest step. New steps rewrite
// only the last column's points.
#include <QList>
#include <QPointF>
#include <vector>

#include "views/series_tail.h"

class QXYSeries;

namespace kvs::ui {

class ColumnBars {
public:
    explicit ColumnBars(QXYSeries* outline) : tail_(outline) {}

    void clear();
    // Steps arrive in increasing order.
    void append(int step, double value);
    // Steps per column (1 = a bar per step) and whether bars stand apart; a change redraws all.
    void setLayout(int steps_per_column, bool gaps);
    void sync(double y_scale);

    // The height drawn where `step` is, in the units given to append() (0 where no bar is).
    double drawnValue(int step) const;
    qint64 pointsWritten() const { return tail_.pointsWritten(); }
    int pointCount() const { return int(tail_.points().size()); }

private:
    struct Column {
        int index = 0;                 // step / steps_per_column
        int first_step = 0, last_step = 0;
        double value = 0.0;            // tallest step
        qsizetype shown_at = 0;
    };
    void addToColumns(int step, double value);

    std::vector<std::pair<int, double>> bars_;
    std::vector<Column> columns_;
    std::size_t dirty_ = 0;
    int per_column_ = 1;
    bool gaps_ = true;
    double y_scale_ = 0.0;
    SeriesTail tail_;
};

}  // namespace kvs::ui
