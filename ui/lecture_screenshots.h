#pragma once
// The pictures of a lecture, taken after a run that fills most of the context (~500 positions):
// the attention heatmap fitted to its pane and zoomed into its last rows, the ops of one token,
// the pace control, a chart in presentation mode and the same chart exported as a picture.
#include <QString>

namespace kvs::ui {

class MainWindow;

// The lecture run: "Once upon a time" (5 tokens with stories260K's tokenizer) and 496 tokens
// sampled at temperature 0.8 (top-p off) with a seed whose story does not end before them; the
// last step attends over 500 positions, most of stories260K's context of 512.
inline constexpr int kLectureNewTokens = 496;
inline constexpr double kLectureTemperature = 0.8;
inline constexpr int kLectureSeed = 4;

// Takes the pictures into `dir` (lecture_*.png) and quits the application (exit code 0 when
// every picture was written). Call it once the run has finished.
void take_lecture_screenshots(MainWindow& window, const QString& dir);

}  // namespace kvs::ui
