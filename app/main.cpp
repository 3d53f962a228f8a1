// kvscope: the desktop application.
#include <QApplication>
#include <QSettings>
#include <QTemporaryDir>
#include <cstdio>
#include <cstring>

#include "app_startup.h"
#include "command_line.h"
#include "main_window.h"

namespace {

// --help and --version only print: they must work in a terminal without a display, where the
// default platform plugin would abort before the options are read.
void use_offscreen_platform_for_text_only_options(int argc, char** argv) {
    if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) return;
    for (int i = 1; i < argc; ++i)
        for (const char* option : {"--help", "-h", "--help-all", "--version", "-v"})
            if (std::strcmp(argv[i], option) == 0) qputenv("QT_QPA_PLATFORM", "offscreen");
}

}  // namespace

int main(int argc, char** argv) {
    use_offscreen_platform_for_text_only_options(argc, argv);
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
    // Pictures come out the same whatever the user saved (layout, pace, recent files), and
    // taking them changes none of it: the settings live in a folder of their own.
    QTemporaryDir screenshot_settings;
    if (!options.screenshot_dir.isEmpty())
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, screenshot_settings.path());
    kvs::ui::MainWindow window;
    if (!options.screenshot_dir.isEmpty()) kvs::ui::run_screenshot_session(window, options.screenshot_dir, options.screenshot_scenario);
    window.show();
    kvs::ui::start_app(window, options);
    return app.exec();
}
