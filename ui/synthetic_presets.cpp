#include "synthetic_presets.h"

#if __has_include("model/model_presets.h") && __has_include("model/synthetic_model.h")
#define KVSCOPE_HAVE_PRESETS 1
#include "model/model_presets.h"
#endif

namespace kvs::ui {

QStringList synthetic_preset_names() {
#ifdef KVSCOPE_HAVE_PRESETS
    QStringList names;
    for (const auto& name : kvs::model_preset_names()) names << QString::fromStdString(name);
    return names;
#else
    return {};
#endif
}

QString small_synthetic_preset() {
    const QStringList names = synthetic_preset_names();
    for (const char* small : {"stories260k", "stories15m", "gpt2-124m"})
        if (names.contains(small)) return small;
    return names.value(0);
}

}  // namespace kvs::ui
