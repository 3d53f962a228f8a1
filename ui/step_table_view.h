#pragma once
// The steps of the run as a table; selecting a row selects that step for every view.
#include <QTableView>

namespace kvs::ui {

class RunData;
class StepTableModel;

class StepTableView : public QTableView {
    Q_OBJECT
public:
    explicit StepTableView(RunData* run, QWidget* parent = nullptr);
    StepTableModel* stepModel() const { return model_; }

private:
    RunData* run_;
    StepTableModel* model_;
};

}  // namespace kvs::ui
