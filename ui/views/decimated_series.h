#pragma once
// A line series with any number of samples that hands the chart at most four points per column
// of two pixels: the first, lowest, highest and last sample of the column, in sample order. A
// line through those covers the pixels a line through every sample would (min/max decimation,
// "M4"), and points on a straight line between their neighbours are left out (a cache growing
// by the same bytes per position is two points). So a 16384-position run draws as fast as a
// 1000-position one: a chart lays out every point of a series on each change, and here their
// number is bounded by the plot's width.
//
// Samples arrive in increasing x. Columns are [x0 + i*width, x0 + (i+1)*width); when fewer
// samples than columns exist, every sample that is not on a straight stretch is a point.
#include <QList>
#include <QPointF>
#include <vector>

#include "views/series_tail.h"

class QXYSeries;

namespace kvs::ui {

class DecimatedSeries {
public:
    explicit DecimatedSeries(QXYSeries* series) : tail_(series) {}

    QXYSeries* series() const { return tail_.series(); }
    // Forgets every sample (a new run); the series empties at the next sync().
    void clear();
    void append(double x, double y);
    int sampleCount() const { return int(samples_.size()); }
    const std::vector<QPointF>& samples() const { return samples_; }

    // Column geometry, in x units. A change regroups every sample (once per axis or size change).
    void setColumns(double x0, double width);
    // Writes the changed points to the series, with y divided by y_scale (a new scale rewrites
    // all of them).
    void sync(double y_scale);

    // Points handed to the chart so far, and how many it holds now.
    qint64 pointsWritten() const { return tail_.pointsWritten(); }
    int pointCount() const { return int(tail_.points().size()); }

private:
    struct Column {
        long long index = 0;                         // which column of the grid
        int first = 0, low = 0, high = 0, last = 0;  // sample indices
    };
    long long columnOf(double x) const;
    void addToColumns(int sample);

    std::vector<QPointF> samples_;
    std::vector<Column> columns_;
    bool changed_ = true;  // samples or columns changed since the last sync
    double x0_ = 0.0, width_ = 0.0;
    double y_scale_ = 0.0;
    SeriesTail tail_;
};

// The width of a column of two pixels on a plot `pixels` wide with an axis from x_min to x_max.
// The column count is rounded down to a multiple of 32, so that a plot a few pixels wider or
// narrower (axis labels growing) does not regroup every sample.
double column_width(double x_min, double x_max, int pixels);

}  // namespace kvs::ui
