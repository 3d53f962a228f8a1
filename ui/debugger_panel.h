#pragma once
// The debugger's panel (docs/DEBUGGER.md): go back to the selected step, force a token there (one
// of the step's most likely tokens, or typed text), the tree of branches with each branch's text
// and memory (selecting one makes it active: every view follows), and the breakpoints with
// enable/disable. It reads RunData (the selected step and its probabilities) and the
// DebuggerState the controller sends; every change goes through the EngineController.
#include <QWidget>

#include "engine_types.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;

namespace kvs::ui {

class EngineController;
class LogitLensBox;
class RunData;

class DebuggerPanel : public QWidget {
    Q_OBJECT
public:
    DebuggerPanel(RunData* run, EngineController* controller, QWidget* parent = nullptr);

    const DebuggerState& state() const { return state_; }
    QTreeWidget* branchTree() const { return branches_; }
    QTreeWidget* breakpointList() const { return breakpoints_; }
    LogitLensBox* logitLens() const { return lens_; }

public slots:
    void setState(const kvs::ui::DebuggerState& state);

private:
    void updateStep();
    const kvs::StepFinished* selected() const;

    RunData* run_;
    EngineController* controller_;
    DebuggerState state_;
    QLabel* stop_;
    QLabel* step_;
    QPushButton* rewind_;
    QCheckBox* keep_;
    QComboBox* candidates_;
    QPushButton* force_;
    QLineEdit* text_;
    QPushButton* force_text_;
    QTreeWidget* branches_;
    QPushButton* drop_;
    QTreeWidget* breakpoints_;
    QLineEdit* spec_;
    QPushButton* add_;
    QPushButton* remove_;
    LogitLensBox* lens_;
    bool filling_ = false;  // setState() filling the lists: their signals are not the user's
};

}  // namespace kvs::ui
