// kvscope: the desktop application.
#include <QApplication>
#include <cstdio>

#include "app_startup.h"
#include "command_line.h"
#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("kvscope");
    QApplication::setOrganizationName("kvscope");
    QApplication::setApplicationVersion(KVSCOPE_VERSION);

    kvs::ui::CommandLineOptions options;
    QString error;
    if (!kvs::ui::parse_command_line(QApplication::arguments(), options, error)) {
        std::fprintf(stderr, "kvscope: %s\n(see kvscope --help)\n", qPrintable(error));
        return 2;
    }
    kvs::ui::MainWindow window;
    if (!options.screenshot_dir.isEmpty()) kvs::ui::run_screenshot_session(window, options.screenshot_dir);
    window.show();
    kvs::ui::start_app(window, options);
    return app.exec();
}
