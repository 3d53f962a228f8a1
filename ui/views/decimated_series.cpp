#include "views/decimated_series.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace kvs::ui {

double column_width(double x_min, double x_max, int pixels) {
    const int columns = std::max(32, pixels / 2 / 32 * 32);
    return std::max(x_max - x_min, 1e-12) / columns;
}

void DecimatedSeries::clear() {
    samples_.clear();
    columns_.clear();
    dirty_ = 0;
}

long long DecimatedSeries::columnOf(double x) const {
    return width_ > 0.0 ? (long long)std::floor((x - x0_) / width_) : (long long)samples_.size();
}

void DecimatedSeries::addToColumns(int sample) {
    // Without a grid yet, every sample is a column of its own.
    const long long column = width_ > 0.0 ? columnOf(samples_[std::size_t(sample)].x()) : sample;
    if (columns_.empty() || columns_.back().index != column) {
        Column c;
        c.index = column;
        c.first = c.low = c.high = c.last = sample;
        columns_.push_back(c);
        dirty_ = std::min(dirty_, columns_.size() - 1);
        return;
    }
    Column& c = columns_.back();
    const double y = samples_[std::size_t(sample)].y();
    if (y < samples_[std::size_t(c.low)].y()) c.low = sample;
    if (y > samples_[std::size_t(c.high)].y()) c.high = sample;
    c.last = sample;
    dirty_ = std::min(dirty_, columns_.size() - 1);
}

void DecimatedSeries::append(double x, double y) {
    samples_.emplace_back(x, y);
    addToColumns(int(samples_.size()) - 1);
}

void DecimatedSeries::setColumns(double x0, double width) {
    if (x0 == x0_ && width == width_) return;
    x0_ = x0;
    width_ = width;
    columns_.clear();
    dirty_ = 0;
    for (int i = 0; i < int(samples_.size()); ++i) addToColumns(i);
}

void DecimatedSeries::sync(double y_scale) {
    if (y_scale != y_scale_) {
        y_scale_ = y_scale;
        dirty_ = 0;
    }
    dirty_ = std::min(dirty_, columns_.size());
    const qsizetype from = dirty_ < columns_.size() ? columns_[dirty_].shown_at
                                                    : (columns_.empty() ? 0 : tail_.points().size());
    if (columns_.empty()) {
        tail_.clear();
        dirty_ = 0;
        return;
    }
    QList<QPointF> points;
    qsizetype at = from;
    for (std::size_t i = dirty_; i < columns_.size(); ++i) {
        Column& c = columns_[i];
        c.shown_at = at;
        std::array<int, 4> order = {c.first, std::min(c.low, c.high), std::max(c.low, c.high), c.last};
        int previous = -1;
        for (int s : order) {
            if (s == previous) continue;  // a column of one or two samples has fewer points
            previous = s;
            const QPointF& p = samples_[std::size_t(s)];
            points.append({p.x(), p.y() / y_scale_});
            ++at;
        }
    }
    tail_.replaceFrom(from, points);
    dirty_ = columns_.size();
}

}  // namespace kvs::ui
