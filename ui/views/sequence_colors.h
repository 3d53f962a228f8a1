#pragma once
// One colour per sequence, the same in every view that tells sequences apart.
#include <QColor>

namespace kvs::ui {

// Hues a golden angle apart, so that neighbouring ids never look alike.
inline QColor sequence_color(int sequence) {
    const int hue = (sequence < 0 ? 0 : sequence * 137 + 210) % 360;
    return QColor::fromHsv(hue, 150, 215);
}

// The frame of the selected sequence's blocks (block grid and its legend).
inline QColor selected_sequence_frame_color() { return QColor(255, 127, 14); }

}  // namespace kvs::ui
