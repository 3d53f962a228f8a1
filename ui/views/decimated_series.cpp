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
    changed_ = true;
}

long long DecimatedSeries::columnOf(double x) const {
    return width_ > 0.0 ? (long long)std::floor((x - x0_) / width_) : (long long)samples_.size();
}

void DecimatedSeries::addToColumns(int sample) {
    // Without a grid yet, every sample is a column of its own.
    const long long column = width_ > 0.0 ? columnOf(samples_[std::size_t(sample)].x()) : sample;
    if (columns_.empty() || columns_.back().index != column) {
        columns_.push_back({column, sample, sample, sample, sample});
        changed_ = true;
        return;
    }
    Column& c = columns_.back();
    const double y = samples_[std::size_t(sample)].y();
    if (y < samples_[std::size_t(c.low)].y()) c.low = sample;
    if (y > samples_[std::size_t(c.high)].y()) c.high = sample;
    c.last = sample;
    changed_ = true;
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
    changed_ = true;
    for (int i = 0; i < int(samples_.size()); ++i) addToColumns(i);
}

void DecimatedSeries::sync(double y_scale) {
    if (y_scale == y_scale_ && !changed_) return;  // nothing new
    y_scale_ = y_scale;
    changed_ = false;
    // Every column's points, then every point that lies on the line through its neighbours
    // dropped: a straight stretch (bytes growing by the same amount per position, a flat run)
    // costs the chart two points however many columns it spans. Work proportional to the
    // columns, which the plot's width bounds.
    QList<QPointF> points;
    points.reserve(qsizetype(columns_.size()) * 2 + 2);
    auto keep = [&points](const QPointF& p) {
        const qsizetype n = points.size();
        if (n >= 2) {
            const QPointF& a = points[n - 2];
            const QPointF& b = points[n - 1];
            const double cross = (b.x() - a.x()) * (p.y() - a.y()) - (b.y() - a.y()) * (p.x() - a.x());
            const double scale = (std::abs(p.x() - a.x()) + 1e-300) * (std::abs(p.y()) + std::abs(a.y()) + 1e-300);
            if (std::abs(cross) <= 1e-12 * scale && (b.x() - a.x()) * (p.x() - b.x()) >= 0) {
                points[n - 1] = p;  // b is on the way from a to p
                return;
            }
        }
        if (n >= 1 && points[n - 1] == p) return;
        points.append(p);
    };
    for (const Column& c : columns_) {
        const std::array<int, 4> order = {c.first, std::min(c.low, c.high), std::max(c.low, c.high), c.last};
        for (int s : order) keep({samples_[std::size_t(s)].x(), samples_[std::size_t(s)].y() / y_scale_});
    }
    tail_.replaceFrom(0, points);
}

}  // namespace kvs::ui
