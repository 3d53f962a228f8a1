#include "synthetic_presets.h"

#include "model/model_presets.h"

namespace kvs::ui {

QStringList synthetic_preset_names() {
    QStringList names;
    for (const auto& name : kvs::model_preset_names()) names << QString::fromStdString(name);
    return names;
}

QString small_synthetic_preset() {
    const QStringList names = synthetic_preset_names();
    for (const char* small : {"stories260k", "stories15m", "gpt2-124m"})
        if (names.contains(small)) return small;
    return names.value(0);
}

}  // namespace kvs::ui
