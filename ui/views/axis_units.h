#pragma once
// Picks one unit for a whole chart axis so its tick labels read "1.5" with the title "MiB"
// instead of "1572864".
#include <QString>

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

}  // namespace kvs::ui
