#include "screenshot_support.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QThread>

#include "main_window.h"

namespace kvs::ui {

void settle_events(int ms) {
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < ms) {
        QApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(10);
    }
}

QWidget* show_view(MainWindow& window, const QString& title) {
    QTabWidget* tabs = window.viewTabs();
    for (int i = 0; i < tabs->count(); ++i) {
        if (tabs->tabText(i) != title) continue;
        tabs->setCurrentIndex(i);
        return tabs->widget(i);
    }
    qWarning("screenshots: no tab '%s'", qPrintable(title));
    return nullptr;
}

}  // namespace kvs::ui
