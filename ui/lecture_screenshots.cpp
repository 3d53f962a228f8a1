#include "lecture_screenshots.h"

#include <algorithm>

#include <QCoreApplication>
#include <QDir>
#include <QListWidget>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>

#include "main_window.h"
#include "pace_control.h"
#include "presentation_mode.h"
#include "run_data.h"
#include "screenshot_support.h"
#include "views/attention_heatmap.h"
#include "views/attention_view.h"
#include "views/chart_exporter.h"
#include "views/token_ops_view.h"

namespace kvs::ui {

namespace {

// Brings a view to the front and lets it redraw.
QWidget* show_tab(MainWindow& window, const QString& title) {
    QWidget* view = show_view(window, title);
    settle_events();
    return view;
}

}  // namespace

void take_lecture_screenshots(MainWindow& window, const QString& dir) {
    QDir().mkpath(dir);
    int failures = 0;
    auto save = [&](QWidget* widget, const QString& name) {
        const QString path = QDir(dir).filePath(name + ".png");
        if (widget && widget->grab().save(path)) {
            qInfo("wrote %s", qPrintable(path));
        } else {
            qWarning("screenshots: could not write %s", qPrintable(path));
            ++failures;
        }
    };

    // The step whose attention row is highlighted: the last one, so the whole triangle shows.
    const auto& steps = window.runData().steps();
    if (!steps.empty()) window.runData().setSelectedStep(steps.back().step);

    // 1. Every position at once: the heatmap averages cells into pixels.
    QWidget* attention_tab = show_tab(window, QObject::tr("Attention"));
    save(attention_tab, "lecture_attention_500");
    // 2. The last 64 queries against the last 64 keys, one cell per position.
    auto* attention = qobject_cast<AttentionView*>(attention_tab);
    const auto& kv = window.runData().kvPoints();
    if (attention && !kv.empty()) {
        const int n = kv.back().positions;
        attention->heatmap()->setWindow(QRectF(n - 64, n - 64, 64, 64));
        settle_events();
        save(attention_tab, "lecture_attention_zoom");
        attention->heatmap()->fit();
    } else {
        qWarning("screenshots: no attention view");
        ++failures;
    }
    // 3. What one decode step computes: the op that reads every cached key of a middle layer.
    QWidget* ops_tab = show_tab(window, QObject::tr("Ops of one token"));
    auto* ops = qobject_cast<TokenOpsView*>(ops_tab);
    auto* op_list = ops ? ops->findChild<QListWidget*>() : nullptr;
    if (op_list && window.runData().hasRun()) {
        const QString wanted = QStringLiteral("L%1 · Attention scores").arg(window.runData().run().config.n_layers / 2);
        const auto found = op_list->findItems(wanted, Qt::MatchExactly);
        if (!found.isEmpty()) ops->setCurrentOp(op_list->row(found.first()));
        settle_events(200);
    }
    save(ops_tab, "lecture_ops_of_one_token");
    // 4. The pace a class can follow, in the toolbar.
    window.paceControl()->setPaceMs(500);
    settle_events(200);
    // The toolbar up to the pace box (the rest of its width is empty).
    auto* toolbar = window.findChild<QToolBar*>("runToolbar");
    const QString pace_path = QDir(dir).filePath("lecture_pace.png");
    const int right = window.paceControl()->mapTo(toolbar, QPoint(window.paceControl()->width(), 0)).x() + 8;
    if (toolbar && toolbar->grab(QRect(0, 0, std::min(right, toolbar->width()), toolbar->height())).save(pace_path)) {
        qInfo("wrote %s", qPrintable(pace_path));
    } else {
        qWarning("screenshots: could not write %s", qPrintable(pace_path));
        ++failures;
    }
    window.paceControl()->setPaceMs(0);
    // 5. One chart in presentation mode, the whole window.
    QWidget* kv_tab = show_tab(window, QObject::tr("KV memory"));
    window.presentation()->enter();
    settle_events(800);
    save(&window, "lecture_presentation");
    window.presentation()->leave();
    settle_events();
    // 6. The same chart exported for a slide: 1600 x 900, without its controls.
    if (kv_tab) {
        const QString path = QDir(dir).filePath("lecture_export_kv_memory.png");
        const QString error = export_widget(kv_tab, path, ExportFormat::Png, PictureSize{QSize(1600, 900), 96});
        if (error.isEmpty()) {
            qInfo("wrote %s", qPrintable(path));
        } else {
            qWarning("screenshots: %s", qPrintable(error));
            ++failures;
        }
    }
    QCoreApplication::exit(failures == 0 ? 0 : 1);
}

}  // namespace kvs::ui
