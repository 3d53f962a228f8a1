#include "debugger_screenshots.h"

#include <QApplication>
#include <QDir>
#include <QPainter>
#include <QScrollArea>
#include <QTabWidget>
#include <memory>

#include "debugger_panel.h"
#include "engine_controller.h"
#include "main_window.h"
#include "run_data.h"
#include "screenshot_support.h"
#include "views/perturbation_grid.h"
#include "views/perturbation_view.h"

namespace kvs::ui {

namespace {

// The view's controls and summary above the whole grid (taller than the tab: the grid scrolls).
void save_perturbation(PerturbationView* view, const QString& path) {
    auto* scroll = view->findChild<QScrollArea*>();
    const int top = scroll ? scroll->geometry().top() : 0;
    const QPixmap head = view->grab(QRect(0, 0, view->width(), top));
    const QPixmap grid = view->grid()->grab();
    QPixmap picture(std::max(head.width(), grid.width()), head.height() + grid.height());
    picture.fill(view->palette().color(QPalette::Window));
    QPainter p(&picture);
    p.drawPixmap(0, 0, head);
    p.drawPixmap(0, head.height(), grid);
    p.end();
    picture.save(path);
    qInfo("wrote %s", qPrintable(path));
}

// Calls `next` once after the first emission of `signal`.
template <typename Signal>
void once(EngineController* c, Signal signal, QObject* context, std::function<void()> next) {
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(c, signal, context, [connection, next] {
        QObject::disconnect(*connection);
        next();
    });
}

}  // namespace

void take_experiment_screenshots(MainWindow& window, const QString& dir, std::function<void()> done) {
    auto* view = window.findChild<PerturbationView*>("perturbationView");
    auto* panel = window.findChild<DebuggerPanel*>("debuggerPanel");
    EngineController* c = &window.controller();
    if (!view || !panel) return done();
    const int tokens = int(window.runData().tokens().size());
    const int position = std::max(0, tokens / 3);
    show_view(window, QObject::tr("Why only K and V"));
    once(c, &EngineController::perturbationReady, &window, [&window, view, panel, c, dir, position, done] {
        settle_events();
        save_perturbation(view, QDir(dir).filePath("debugger_perturbation.png"));
        once(c, &EngineController::perturbationReady, &window, [&window, view, panel, c, dir, done] {
            settle_events();
            save_perturbation(view, QDir(dir).filePath("debugger_perturbation_ffn.png"));
            show_view(window, QObject::tr("Debugger"));
            once(c, &EngineController::logitLensReady, &window, [panel, dir, done] {
                settle_events();
                const QString path = QDir(dir).filePath("debugger_lens.png");
                panel->grab().save(path);
                qInfo("wrote %s", qPrintable(path));
                done();
            });
            if (const auto& steps = window.runData().steps(); !steps.empty())
                c->requestLogitLens(window.runData().selectedStep() >= 0 ? window.runData().selectedStep()
                                                                          : steps.back().step);
        });
        view->runExperiment(position, 1);
    });
    view->runExperiment(position);
}

}  // namespace kvs::ui
