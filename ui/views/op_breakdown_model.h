#pragma once
// The ops of one step as a table: FLOPs, bytes moved, arithmetic intensity, share of the
// step's FLOPs and, when the backend measured it, time.
#include <QAbstractTableModel>
#include <vector>

#include "views/step_costs.h"

namespace kvs::ui {

class OpBreakdownModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { OpColumn, FlopsColumn, BytesColumn, IntensityColumn, ShareColumn, TimeColumn, ColumnCount };
    // Raw numbers for sorting and tests (display text is rounded).
    static constexpr int RawValueRole = Qt::UserRole + 1;

    explicit OpBreakdownModel(QObject* parent = nullptr);
    void setOps(std::vector<OpTotal> ops);
    const std::vector<OpTotal>& ops() const { return ops_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<OpTotal> ops_;
    double total_flops_ = 0.0;
};

}  // namespace kvs::ui
