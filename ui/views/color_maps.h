#pragma once
// Colour scales for the heatmaps: a perceptually ordered dark-to-bright scale for
// probabilities, and a blue-white-red scale for signed values (K and V entries).
#include <QColor>
#include <QRgb>

namespace kvs::ui {

// t in [0, 1] (clamped): dark blue -> teal -> green -> yellow.
QRgb sequential_color(float t);
// t in [-1, 1] (clamped): blue for negative, white at 0, red for positive.
QRgb diverging_color(float t);
// The colour of masked cells (future keys a query cannot see).
inline QRgb masked_color() { return qRgb(236, 236, 236); }

}  // namespace kvs::ui
