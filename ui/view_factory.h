#pragma once
// Creates the views of the main window: one place to add a view.
namespace kvs::ui {

class MainWindow;
class RunData;

void add_standard_views(MainWindow& window, RunData& run);

}  // namespace kvs::ui
