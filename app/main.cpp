#include <QApplication>

#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("kvscope");
    QApplication::setOrganizationName("kvscope");
    kvs::ui::MainWindow window;
    window.show();
    return app.exec();
}
