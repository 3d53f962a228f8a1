#include "views/color_maps.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace kvs::ui {
namespace {

struct Stop {
    float r, g, b;
};

QRgb interpolate(const Stop* stops, int n, float t) {
    t = std::clamp(t, 0.0f, 1.0f);
    const float x = t * float(n - 1);
    const int i = std::min(int(x), n - 2);
    const float f = x - float(i);
    const Stop& a = stops[i];
    const Stop& b = stops[i + 1];
    return qRgb(int(std::lround(a.r + (b.r - a.r) * f)), int(std::lround(a.g + (b.g - a.g) * f)),
                int(std::lround(a.b + (b.b - a.b) * f)));
}

}  // namespace

QRgb sequential_color(float t) {
    // Five anchor colours along a dark-to-bright ramp whose lightness increases monotonically,
    // so the order of values survives greyscale printing.
    static constexpr Stop stops[] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    return interpolate(stops, 5, t);
}

QRgb diverging_color(float t) {
    static constexpr Stop stops[] = {{33, 102, 172}, {146, 197, 222}, {247, 247, 247}, {244, 165, 130}, {178, 24, 43}};
    return interpolate(stops, 5, (std::clamp(t, -1.0f, 1.0f) + 1.0f) * 0.5f);
}

}  // namespace kvs::ui
