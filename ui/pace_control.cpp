#include "pace_control.h"

#include <QSettings>

namespace kvs::ui {
namespace {
constexpr const char* kSettingsKey = "run/pace_ms";
struct Pace {
    int ms;
    const char* text;
};
constexpr Pace kPaces[] = {{0, "Full speed"},      {50, "20 tokens/s"}, {100, "10 tokens/s"}, {200, "5 tokens/s"},
                           {500, "2 tokens/s"},    {1000, "1 token/s"}, {2000, "1 token / 2 s"},
                           {5000, "1 token / 5 s"}};
}  // namespace

PaceControl::PaceControl(QWidget* parent) : QComboBox(parent) {
    for (const Pace& p : kPaces) addItem(tr(p.text), p.ms);
    setToolTip(tr("Pace of a run: full speed, or slow enough to watch each step (] faster, [ slower). "
                  "Step (F10) always takes one step at once."));
    setPaceMs(QSettings().value(kSettingsKey, 0).toInt());
    connect(this, &QComboBox::currentIndexChanged, this, [this] {
        QSettings().setValue(kSettingsKey, paceMs());
        emit paceChanged(paceMs());
    });
}

int PaceControl::paceMs() const { return currentData().toInt(); }

void PaceControl::setPaceMs(int ms) {
    // The nearest pace on the list at or above the one asked for.
    int index = count() - 1;
    for (int i = 0; i < count(); ++i)
        if (itemData(i).toInt() >= ms) {
            index = i;
            break;
        }
    setCurrentIndex(index);
}

void PaceControl::slower() { setCurrentIndex(std::min(count() - 1, currentIndex() + 1)); }

void PaceControl::faster() { setCurrentIndex(std::max(0, currentIndex() - 1)); }

}  // namespace kvs::ui
