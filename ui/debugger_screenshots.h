#pragma once
// The pictures of the debugger's experiments, taken in the debugging session of the screenshots
// (scripts/screenshots.sh --debugger): "Why only K and V" with a changed token and with a zeroed
// FFN output, and the Debugger tab with the logit lens of the selected step.
#include <QString>
#include <functional>

namespace kvs::ui {

class MainWindow;

// Runs the experiments on the active branch one after the other, writes
// debugger_perturbation.png, debugger_perturbation_ffn.png and debugger_lens.png into `dir`,
// then calls `done`.
void take_experiment_screenshots(MainWindow& window, const QString& dir, std::function<void()> done);

}  // namespace kvs::ui
