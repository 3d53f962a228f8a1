#include "views/axis_units.h"

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

}  // namespace kvs::ui
