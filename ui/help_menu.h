#pragma once
// The Help menu: keyboard shortcuts, the documentation (in the app), and About kvscope.
#include <QString>

class QMenuBar;
class QWidget;

namespace kvs::ui {

void add_help_menu(QWidget& window, QMenuBar* bar);
// The text of the About box (version, backends, libraries), for the box and for tests.
QString about_text();

}  // namespace kvs::ui
