#include "human_units.h"

#include <cmath>

namespace kvs::ui {

QString human_bytes(std::int64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (std::abs(v) >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    if (u == 0) return QStringLiteral("%1 B").arg(bytes);
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : (v < 100 ? 1 : 0)).arg(units[u]);
}

QString human_count(double n) {
    static const char* units[] = {"", "K", "M", "B", "T"};
    int u = 0;
    while (std::abs(n) >= 1000.0 && u < 4) {
        n /= 1000.0;
        ++u;
    }
    if (u == 0) return QString::number(n, 'f', 0);
    return QStringLiteral("%1%2").arg(n, 0, 'f', n < 10 ? 2 : (n < 100 ? 1 : 0)).arg(units[u]);
}

}  // namespace kvs::ui
