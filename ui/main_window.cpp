#include "main_window.h"

namespace kvs::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) { setWindowTitle("kvscope"); }

}  // namespace kvs::ui
