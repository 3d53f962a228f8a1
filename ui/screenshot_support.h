#pragma once
// What every --screenshot scenario needs: time for the window to catch up before a grab
// (coalesced redraws, relayouts, the engine's answers), and a view brought to the front.
#include <QString>

class QWidget;

namespace kvs::ui {

class MainWindow;

// Runs the event loop for `ms` milliseconds.
void settle_events(int ms = 500);
// Brings the tab titled `title` to the front and returns its widget; nullptr (with a warning)
// when there is no such tab.
QWidget* show_view(MainWindow& window, const QString& title);

}  // namespace kvs::ui
