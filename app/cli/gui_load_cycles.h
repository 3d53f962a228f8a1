#pragma once
// Model load/unload cycles through the desktop application's main window (offscreen), for the
// `soak` benchmark: each cycle loads the model (which frees the one before), runs a few steps
// that the views draw, and the resident memory is sampled. Built only with the GUI.
#include <string>

#include "core/result.h"
#include "memory_series.h"

namespace kvs::cli {

struct GuiCycleOptions {
    std::string model, tokenizer;  // a model file or folder, or
    std::string synthetic;         // a synthetic preset (with `layers`)
    int layers = 0;
    int cycles = 100;
    int steps = 16;                // steps run after each load (0: load only)
    std::string backend = "cpu";
    int samples = 20;
};

struct GuiCycleReport {
    MemorySeries memory;
    double seconds = 0.0;
};

Result<GuiCycleReport> run_gui_load_cycles(const GuiCycleOptions& options);

}  // namespace kvs::cli
