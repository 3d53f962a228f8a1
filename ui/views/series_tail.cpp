#include "views/series_tail.h"

#include <QXYSeries>
#include <algorithm>

namespace kvs::ui {

void SeriesTail::replaceFrom(qsizetype from, const QList<QPointF>& tail) {
    from = std::clamp<qsizetype>(from, 0, points_.size());
    // Skip the part of the tail that is already there.
    qsizetype same = 0;
    while (same < tail.size() && from + same < points_.size() && points_[from + same] == tail[same]) ++same;
    const qsizetype keep = from + same;
    if (keep == points_.size() && same == tail.size()) return;  // nothing changed
    const QList<QPointF> added = tail.mid(same);
    const bool one_more = keep == points_.size() && added.size() == 1;
    points_.resize(keep);
    points_.append(added);
    // A chart lays a series out again on every change it is told of, and appending a list tells
    // it once per point: anything but a single new point is one replace of the whole (short) list.
    if (one_more) {
        series_->append(added.front());
        points_written_ += 1;
    } else {
        series_->replace(points_);
        points_written_ += points_.size();
    }
}

}  // namespace kvs::ui
