#pragma once
// Names of the model presets a synthetic model can be built from (real shapes, random weights).
#include <QStringList>

namespace kvs::ui {

QStringList synthetic_preset_names();
// A small preset that runs fast on a CPU; empty when none is known.
QString small_synthetic_preset();

}  // namespace kvs::ui
