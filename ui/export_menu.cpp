#include "export_menu.h"

#include <QAction>
#include <QFileDialog>
#include <QMenu>
#include <QStatusBar>
#include <QTabWidget>

#include "main_window.h"
#include "message_banner.h"
#include "run_data.h"
#include "views/cache_inspector_view.h"

namespace kvs::ui {
namespace {

void report(MainWindow& window, const QString& error, const QString& done) {
    if (!error.isEmpty()) window.showError(error);
    else window.statusBar()->showMessage(done, 8000);
}

void export_current_view(MainWindow& window) {
    if (!window.viewTabs()->currentWidget()) return;
    QString selected;
    const QString path = QFileDialog::getSaveFileName(
        &window, QObject::tr("Export the view"),
        window.viewTabs()->tabText(window.viewTabs()->currentIndex()).toLower().replace(' ', '_') + ".png",
        QObject::tr("PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"), &selected);
    if (path.isEmpty()) return;
    report(window, export_view_in_front(window, path), QObject::tr("Wrote %1").arg(path));
}

void export_everything(MainWindow& window) {
    const QString dir = QFileDialog::getExistingDirectory(&window, QObject::tr("Export every chart into a folder"));
    if (dir.isEmpty()) return;
    const ExportResult result = export_every_chart(window, dir);
    report(window, result.error, QObject::tr("Wrote %1 files into %2").arg(result.files.size()).arg(dir));
}

void export_jsonl(MainWindow& window) {
    const QString path = QFileDialog::getSaveFileName(&window, QObject::tr("Export the events as JSON Lines"),
                                                      "events.jsonl", QObject::tr("JSON Lines (*.jsonl)"));
    if (path.isEmpty()) return;
    report(window, export_events_jsonl(window.runData(), path), QObject::tr("Wrote %1").arg(path));
}

void export_csv(MainWindow& window) {
    const QString dir = QFileDialog::getExistingDirectory(&window, QObject::tr("Export the events as CSV tables"));
    if (dir.isEmpty()) return;
    report(window, export_events_csv(window.runData(), dir),
           QObject::tr("Wrote steps.csv, kv.csv, attention.csv and op_costs.csv into %1").arg(dir));
}

}  // namespace

QString export_view_in_front(MainWindow& window, const QString& path) {
    QWidget* view = window.viewTabs()->currentWidget();
    if (!view) return QObject::tr("there is no view to export");
    return export_widget(view, path, export_format_for(path));
}

ExportResult export_every_chart(MainWindow& window, const QString& dir) {
    ExportOptions options;
    if (auto* cache = window.findChild<CacheInspectorView*>(); cache && cache->snapshot().length > 0)
        options.snapshots.push_back(cache->snapshot());
    return export_all(window.runData(), dir, options);
}

void add_export_menu(MainWindow& window, QMenu* file_menu) {
    QMenu* menu = file_menu->addMenu(QObject::tr("&Export"));
    QAction* view = menu->addAction(QObject::tr("This view as PNG, SVG or PDF\u2026"));
    view->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction* all = menu->addAction(QObject::tr("Every chart into a folder\u2026"));
    all->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    menu->addSeparator();
    QAction* jsonl = menu->addAction(QObject::tr("Events as JSON Lines\u2026"));
    QAction* csv = menu->addAction(QObject::tr("Events as CSV tables\u2026"));
    QObject::connect(view, &QAction::triggered, &window, [&window] { export_current_view(window); });
    QObject::connect(all, &QAction::triggered, &window, [&window] { export_everything(window); });
    QObject::connect(jsonl, &QAction::triggered, &window, [&window] { export_jsonl(window); });
    QObject::connect(csv, &QAction::triggered, &window, [&window] { export_csv(window); });
}

}  // namespace kvs::ui
