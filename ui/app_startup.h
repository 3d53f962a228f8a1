#pragma once
// What the app does when it starts: pick the model (given, synthetic, the default stories260K,
// or ask), apply the command line to the panels and, with --screenshot, drive a short run and
// save every view as PNG.
#include "command_line.h"

namespace kvs::ui {

class MainWindow;

// Applies the options to a shown window and starts loading; returns false when there is
// nothing to do (the first-run dialog was declined and no model is loaded).
void start_app(MainWindow& window, const CommandLineOptions& options);

// --screenshot: after the model is loaded, prefill and generate, then save PNGs into `dir`
// and quit the application (exit code 0 when every file was written, 1 otherwise).
// The scenario says what happens between the run and the pictures (ScreenshotScenario).
void run_screenshot_session(MainWindow& window, const QString& dir,
                            ScreenshotScenario scenario = ScreenshotScenario::Views);

}  // namespace kvs::ui
