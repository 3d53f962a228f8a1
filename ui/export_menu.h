#pragma once
// File > Export: the view in front as PNG, SVG or PDF (by the chosen file's suffix), also at a
// chosen size and resolution for slides and papers, every
// chart at once into a folder (all three formats plus the event files), and the run's events
// as JSON Lines or CSV tables.
#include <QString>

#include "views/chart_exporter.h"

class QMenu;

namespace kvs::ui {

class MainWindow;

void add_export_menu(MainWindow& window, QMenu* file_menu);

// What the menu entries do once the file or folder is chosen.
// The tab in front into `path` (format by suffix), as laid out on screen or at `picture`'s
// size and resolution; empty or the error.
QString export_view_in_front(MainWindow& window, const QString& path, const PictureSize& picture = {});
// Every chart (with the cache inspector's current contents) and the events into `dir`.
ExportResult export_every_chart(MainWindow& window, const QString& dir);

}  // namespace kvs::ui
