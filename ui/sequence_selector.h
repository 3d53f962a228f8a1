#pragma once
// Which sequence of the run the views show: a combo box listing each sequence with the start of
// its prompt. Choosing one selects it in RunData, which every view follows. (The main window
// shows it only for runs of several sequences.)
#include <QWidget>

class QComboBox;
class QLabel;

namespace kvs::ui {

class RunData;

class SequenceSelector : public QWidget {
    Q_OBJECT
public:
    explicit SequenceSelector(RunData* run, QWidget* parent = nullptr);
    QComboBox* comboBox() const { return combo_; }

private:
    void onRunStarted();
    void onSequenceChanged();

    RunData* run_;
    QLabel* label_;
    QComboBox* combo_;
    bool filling_ = false;
};

}  // namespace kvs::ui
