#include "presentation_mode.h"

#include <QAbstractAxis>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QAction>
#include <QLegend>
#include <QMainWindow>
#include <QMenuBar>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>

#include "views/view_help.h"

namespace kvs::ui {

namespace {
QFont scaled(QFont f) {
    if (f.pointSizeF() > 0) f.setPointSizeF(f.pointSizeF() * PresentationMode::kFontScale);
    else if (f.pixelSize() > 0) f.setPixelSize(int(f.pixelSize() * PresentationMode::kFontScale));
    return f;
}
}  // namespace

PresentationMode::PresentationMode(QMainWindow* window, QTabWidget* tabs)
    : QObject(window), window_(window), tabs_(tabs), leave_action_(new QAction(tr("Leave presentation"), window)) {
    // On the window itself, so that Esc works while the menus are hidden.
    leave_action_->setShortcut(Qt::Key_Escape);
    leave_action_->setEnabled(false);
    window->addAction(leave_action_);
    connect(leave_action_, &QAction::triggered, this, &PresentationMode::leave);
}

void PresentationMode::enter() {
    QWidget* page = tabs_->currentWidget();
    if (active_ || !page) return;
    active_ = true;
    state_before_ = window_->windowState();
    layout_before_ = window_->saveState();
    auto hide = [this](QWidget* w) {
        if (!w || w->isHidden()) return;
        w->hide();
        hidden_.append(w);
    };
    for (auto* dock : window_->findChildren<QDockWidget*>()) hide(dock);
    for (auto* bar : window_->findChildren<QToolBar*>()) hide(bar);
    hide(window_->menuBar());
    hide(window_->statusBar());
    hide(tabs_->tabBar());
    // The view's own controls (check boxes, lists, "?"), as in an export.
    for (auto* w : page->findChildren<QWidget*>())
        if (is_control(w)) hide(w);

    const QFont before = page->font();
    page->setFont(scaled(before));
    restores_.append([p = QPointer<QWidget>(page), before] {
        if (p) p->setFont(before);
    });
    for (auto* view : page->findChildren<QChartView*>()) {
        QChart* chart = view->chart();
        if (!chart) continue;
        const QFont title = chart->titleFont(), legend = chart->legend()->font();
        chart->setTitleFont(scaled(title));
        chart->legend()->setFont(scaled(legend));
        QList<std::pair<QAbstractAxis*, std::pair<QFont, QFont>>> axes;
        for (QAbstractAxis* axis : chart->axes()) {
            axes.append({axis, {axis->labelsFont(), axis->titleFont()}});
            axis->setLabelsFont(scaled(axis->labelsFont()));
            axis->setTitleFont(scaled(axis->titleFont()));
        }
        restores_.append([c = QPointer<QChart>(chart), title, legend, axes] {
            if (!c) return;
            c->setTitleFont(title);
            c->legend()->setFont(legend);
            for (const auto& [axis, fonts] : axes)
                if (c->axes().contains(axis)) {
                    axis->setLabelsFont(fonts.first);
                    axis->setTitleFont(fonts.second);
                }
        });
    }
    leave_action_->setEnabled(true);
    window_->showFullScreen();
    emit activeChanged(true);
}

void PresentationMode::leave() {
    if (!active_) return;
    active_ = false;
    leave_action_->setEnabled(false);
    for (auto& restore : restores_) restore();
    restores_.clear();
    for (const auto& w : hidden_)
        if (w) w->show();
    hidden_.clear();
    window_->setWindowState(state_before_);
    window_->restoreState(layout_before_);
    emit activeChanged(false);
}

}  // namespace kvs::ui
