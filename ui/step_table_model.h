#pragma once
// One row per step of the run: phase, positions computed, the sampled token, its probability,
// wall time and KV cache bytes after the step. The step debugger's table.
#include <QAbstractTableModel>

namespace kvs::ui {

class RunData;

class StepTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { StepColumn, PhaseColumn, PositionsColumn, TokenColumn, ProbabilityColumn, WallColumn, CacheColumn,
                  ColumnCount };

    explicit StepTableModel(RunData* run, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void syncRows();

    RunData* run_;
    int rows_ = 0;
};

}  // namespace kvs::ui
