#include "views/column_bars.h"

#include <algorithm>

namespace kvs::ui {

void ColumnBars::clear() {
    bars_.clear();
    columns_.clear();
    dirty_ = 0;
}

void ColumnBars::addToColumns(int step, double value) {
    const int index = step / per_column_;
    if (columns_.empty() || columns_.back().index != index) {
        columns_.push_back({index, step, step, value, 0});
    } else {
        Column& c = columns_.back();
        c.last_step = step;
        c.value = std::max(c.value, value);
    }
    dirty_ = std::min(dirty_, columns_.size() - 1);
}

void ColumnBars::append(int step, double value) {
    bars_.emplace_back(step, value);
    addToColumns(step, value);
}

void ColumnBars::setLayout(int steps_per_column, bool gaps) {
    steps_per_column = std::max(1, steps_per_column);
    if (steps_per_column == per_column_ && gaps == gaps_) return;
    per_column_ = steps_per_column;
    gaps_ = gaps;
    columns_.clear();
    dirty_ = 0;
    for (const auto& [step, value] : bars_) addToColumns(step, value);
}

double ColumnBars::drawnValue(int step) const {
    auto it = std::lower_bound(columns_.begin(), columns_.end(), step,
                               [](const Column& c, int s) { return c.last_step < s; });
    return it != columns_.end() && it->first_step <= step ? it->value : 0.0;
}

void ColumnBars::sync(double y_scale) {
    if (y_scale != y_scale_) {
        y_scale_ = y_scale;
        dirty_ = 0;
    }
    if (columns_.empty()) {
        tail_.clear();
        dirty_ = 0;
        return;
    }
    dirty_ = std::min(dirty_, columns_.size() - 1);
    // Each column is an outline: a foot where the previous one does not touch it, the top, and
    // (gaps) a foot on the right; the last column closes the outline on the axis.
    const double half = gaps_ ? 0.4 : 0.5;
    const qsizetype from = columns_[dirty_].shown_at;
    QList<QPointF> points;
    qsizetype at = from;
    for (std::size_t i = dirty_; i < columns_.size(); ++i) {
        Column& c = columns_[i];
        c.shown_at = at;
        const double left = c.first_step - half, right = c.last_step + half, top = c.value / y_scale_;
        const bool touches = !gaps_ && i > 0 && columns_[i - 1].last_step + 1 == c.first_step;
        if (!gaps_ && !touches && i > 0) points.append({columns_[i - 1].last_step + half, 0.0});
        if (!touches) points.append({left, 0.0});
        points.append({left, top});
        points.append({right, top});
        if (gaps_) points.append({right, 0.0});
        at = from + points.size();
    }
    if (!gaps_) points.append({columns_.back().last_step + half, 0.0});
    tail_.replaceFrom(from, points);
    dirty_ = columns_.size();
}

}  // namespace kvs::ui
