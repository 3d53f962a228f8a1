#pragma once
// Presentation: one view, full screen, large type, nothing else. F11 enters it with the view in
// front; F11 or Esc leaves it and puts the window back as it was (docks, toolbar, menus, the
// view's controls, its fonts). Charts draw their own text (QChart), so their title, axis and
// legend fonts are scaled as well as the widgets'.
#include <QFont>
#include <QList>
#include <QObject>
#include <QPointer>
#include <functional>

class QAction;
class QMainWindow;
class QTabWidget;
class QWidget;

namespace kvs::ui {

class PresentationMode : public QObject {
    Q_OBJECT
public:
    // Text grows by this factor.
    static constexpr double kFontScale = 1.8;

    PresentationMode(QMainWindow* window, QTabWidget* tabs);
    bool active() const { return active_; }
    void enter();
    void leave();
    void toggle() { active_ ? leave() : enter(); }

signals:
    void activeChanged(bool active);

private:
    QMainWindow* window_;
    QTabWidget* tabs_;
    QAction* leave_action_;  // Esc, only while presenting
    bool active_ = false;
    Qt::WindowStates state_before_;
    QByteArray layout_before_;
    QList<QPointer<QWidget>> hidden_;         // what enter() hid and leave() shows again
    QList<std::function<void()>> restores_;   // font changes to undo
};

}  // namespace kvs::ui
