#pragma once
// File > Export: the view in front as PNG, SVG or PDF (by the chosen file's suffix), every
// chart at once into a folder (all three formats plus the event files), and the run's events
// as JSON Lines or CSV tables.
class QMenu;

namespace kvs::ui {

class MainWindow;

void add_export_menu(MainWindow& window, QMenu* file_menu);

}  // namespace kvs::ui
