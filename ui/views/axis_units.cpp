#include "views/axis_units.h"

#include <QChart>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace kvs::ui {

AxisUnit byte_unit_for(double max_bytes) {
    static const char* names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    AxisUnit u{1.0, names[0]};
    for (int i = 1; i < 5 && std::abs(max_bytes) >= u.scale * 1024.0; ++i) u = {u.scale * 1024.0, names[i]};
    return u;
}

AxisUnit flop_unit_for(double max_flops) {
    static const char* names[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"};
    AxisUnit u{1.0, names[0]};
    for (int i = 1; i < 6 && std::abs(max_flops) >= u.scale * 1000.0; ++i) u = {u.scale * 1000.0, names[i]};
    return u;
}

QString human_flops(double flops) {
    const AxisUnit u = flop_unit_for(flops);
    const double v = flops / u.scale;
    if (u.scale == 1.0) return QStringLiteral("%1 %2").arg(v, 0, 'f', 0).arg(u.name);
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : (v < 100 ? 1 : 0)).arg(u.name);
}

void set_nice_range(QValueAxis* axis, double max, double min) {
    const double span = max > min ? max - min : 1.0;
    const double raw = span / 5.0;  // about five intervals
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10.0 * magnitude;
    for (double m : {1.0, 2.0, 2.5, 5.0})
        if (m * magnitude >= raw) {
            step = m * magnitude;
            break;
        }
    const double top = min + std::ceil(span / step - 1e-9) * step;
    const int ticks = int(std::lround((top - min) / step)) + 1;
    if (axis->min() != min || axis->max() != top) axis->setRange(min, top);
    if (axis->tickCount() != ticks) axis->setTickCount(ticks);
}

void set_nice_int_range(QValueAxis* axis, int max) {
    max = std::max(max, 1);
    // About five intervals of 1, 2 or 5 times a power of ten, never below 1.
    long long step = 1;
    for (long long magnitude = 1; step * 5 < max; magnitude *= 10) {
        for (long long m : {1, 2, 5}) {
            step = m * magnitude;
            if (step * 5 >= max) break;
        }
        if (step * 5 >= max) break;
    }
    const long long top = (max + step - 1) / step * step;
    const int ticks = int(top / step) + 1;
    if (axis->min() != 0.0 || axis->max() != double(top)) axis->setRange(0.0, double(top));
    if (axis->tickCount() != ticks) axis->setTickCount(ticks);
}

int plot_pixels(const QChart* chart) {
    const int width = int(chart->plotArea().width());
    return width >= 64 ? width : 1024;
}

void set_title_if_changed(QChart* chart, const QString& title) {
    if (chart->title() != title) chart->setTitle(title);
}

void set_title_if_changed(QAbstractAxis* axis, const QString& title) {
    if (axis->titleText() != title) axis->setTitleText(title);
}

}  // namespace kvs::ui
