#pragma once
// The steps of a comparison of two runs as a table: step, position, the token each run chose,
// max |Δlogit|, KL(A‖B), total variation, and whether both runs had seen the same tokens. The
// first divergence is shaded.
#include <QAbstractTableModel>

#include "session/run_comparison.h"

namespace kvs::ui {

class ComparisonStepModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Step, Position, TokenA, TokenB, MaxLogit, Kl, TotalVariation, Context, ColumnCount };

    explicit ComparisonStepModel(QObject* parent = nullptr);
    void setComparison(const kvs::RunComparison& comparison);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    kvs::RunComparison comparison_;
};

}  // namespace kvs::ui
