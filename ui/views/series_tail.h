#pragma once
// Keeps a chart series equal to a list of points that changes mostly at its end. A chart lays
// out every point of a series again whenever it is told of a change (and appending a list
// tells it once per point), so a series must stay short (see DecimatedSeries) and change once
// per refresh: nothing when the points are the same, a single append when one point was
// added, one replace of the whole list otherwise. It counts the points it hands the chart,
// which is the work a refresh costs (tests assert it, benchmarks report it).
#include <QList>
#include <QPointF>

class QXYSeries;

namespace kvs::ui {

class SeriesTail {
public:
    explicit SeriesTail(QXYSeries* series) : series_(series) {}

    QXYSeries* series() const { return series_; }
    // The points the series holds.
    const QList<QPointF>& points() const { return points_; }

    // Makes the series hold points()[0, from) followed by `tail`. `from` may be any index up to
    // points().size(); points of `tail` equal to what is already there are not written again.
    void replaceFrom(qsizetype from, const QList<QPointF>& tail);
    void clear() { replaceFrom(0, {}); }

    // Points handed to the series since construction (one per append, the whole list per replace).
    qint64 pointsWritten() const { return points_written_; }

private:
    QXYSeries* series_;
    QList<QPointF> points_;
    qint64 points_written_ = 0;
};

}  // namespace kvs::ui
