#include "export_menu.h"

#include <QAction>
#include <QFileDialog>
#include <QMenu>
#include <QStatusBar>
#include <QEventLoop>
#include <QTabWidget>
#include <QTimer>
#include <optional>

#include "main_window.h"
#include "message_banner.h"
#include "run_data.h"
#include "engine_controller.h"
#include "views/cache_inspector_view.h"
#include "views/kv_memory_view.h"

namespace kvs::ui {
namespace {

void report(MainWindow& window, const QString& error, const QString& done) {
    if (!error.isEmpty()) window.showError(error);
    else window.showStatus(done, 8000);
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

// Asks the engine for one layer's cache contents and waits for them (the event loop turns
// meanwhile), at most a few seconds: an export is a deliberate, one-off read.
std::optional<KvSnapshot> read_snapshot(EngineController& controller, int layer, int kv_head) {
    std::optional<KvSnapshot> got;
    QEventLoop loop;
    const auto connection = QObject::connect(&controller, &EngineController::kvSnapshotReady, &loop,
                                             [&](const KvSnapshot& s) {
                                                 if (s.layer != layer || s.kv_head != kv_head) return;
                                                 got = s;
                                                 loop.quit();
                                             });
    QTimer::singleShot(5000, &loop, &QEventLoop::quit);
    controller.requestKvSnapshot(layer, kv_head);
    loop.exec();
    QObject::disconnect(connection);
    return got;
}

}  // namespace

QString export_view_in_front(MainWindow& window, const QString& path) {
    QWidget* view = window.viewTabs()->currentWidget();
    if (!view) return QObject::tr("there is no view to export");
    return export_widget(view, path, export_format_for(path));
}

ExportResult export_every_chart(MainWindow& window, const QString& dir) {
    ExportOptions options;
    if (auto* kv = window.findChild<KvMemoryView*>()) {
        options.kv_projections = kv->projectionsVisible();
        options.kv_stacked = kv->stackedLayers();
    }
    // The cache inspector of the first and the last layer's first KV head, read now whether or
    // not its tab was ever opened (as kvscope-cli export does).
    const RunData& run = window.runData();
    if (run.hasRun() && !run.kvPoints().empty()) {
        auto* cache = window.findChild<CacheInspectorView*>();
        const int shown_layer = cache ? cache->layer() : 0, shown_head = cache ? cache->kvHead() : 0;
        const int layers = run.run().config.n_layers;
        std::vector<int> inspected = {0};
        if (layers > 1) inspected.push_back(layers - 1);
        for (int layer : inspected)
            if (auto snapshot = read_snapshot(window.controller(), layer, 0)) options.snapshots.push_back(*snapshot);
        // The inspector follows every snapshot that arrives: back to what it showed.
        if (cache) cache->showLayerHead(shown_layer, shown_head);
    }
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
