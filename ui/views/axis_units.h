#pragma once
// Picks one unit for a whole chart axis so its tick labels read "1.5" with the title "MiB"
// instead of "1572864".
#include <QString>

class QAbstractAxis;
class QChart;
class QValueAxis;

namespace kvs::ui {

struct AxisUnit {
    double scale = 1.0;  // divide raw values by this
    QString name;        // "MiB", "GFLOP"
};

// Binary byte units (B, KiB, MiB, GiB, TiB) for values up to max_bytes.
AxisUnit byte_unit_for(double max_bytes);
// Decimal FLOP units (FLOP, kFLOP, MFLOP, GFLOP, TFLOP, PFLOP) for values up to max_flops.
AxisUnit flop_unit_for(double max_flops);
// "12.3 GFLOP"
QString human_flops(double flops);

// Sets the axis to [min, a round number >= max] with ticks at 1, 2, 2.5 or 5 times a power of
// ten, and touches the axis only when that range changes: every change of a chart axis lays
// out all of the chart's series again, so a chart that grows by a point a step would otherwise
// pay that on every redraw.
void set_nice_range(QValueAxis* axis, double max, double min = 0.0);
// The same for an axis of whole numbers (positions, steps): ticks at whole numbers only, at
// least 1 apart, so that a short or empty run does not label its axis "0 0 0 0 0 1".
void set_nice_int_range(QValueAxis* axis, int max);
// The plot's width in pixels, for grouping samples into pixel columns; before the chart is
// laid out (a view never shown), a typical width.
int plot_pixels(const QChart* chart);
// Sets text only when it differs (a new chart or axis title also lays the chart out again).
void set_title_if_changed(QChart* chart, const QString& title);
void set_title_if_changed(QAbstractAxis* axis, const QString& title);

}  // namespace kvs::ui
