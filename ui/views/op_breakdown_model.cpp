#include "views/op_breakdown_model.h"

#include <algorithm>

#include "human_units.h"
#include "views/axis_units.h"

namespace kvs::ui {

OpBreakdownModel::OpBreakdownModel(QObject* parent) : QAbstractTableModel(parent) {}

void OpBreakdownModel::setOps(std::vector<OpTotal> ops) {
    // The same ops with new numbers (the next step of a run): the rows stay, their values change,
    // and the table keeps its layout instead of measuring every cell again.
    const bool same_rows = !ops_.empty() && ops.size() == ops_.size() &&
                           std::equal(ops.begin(), ops.end(), ops_.begin(),
                                      [](const OpTotal& a, const OpTotal& b) { return a.op == b.op; });
    if (!same_rows) beginResetModel();
    ops_ = std::move(ops);
    total_flops_ = 0.0;
    for (const auto& o : ops_) total_flops_ += o.flops;
    if (!same_rows) endResetModel();
    else emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

int OpBreakdownModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(ops_.size()); }

int OpBreakdownModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant OpBreakdownModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const OpTotal& o = ops_[std::size_t(index.row())];
    const double intensity = o.bytes > 0 ? o.flops / o.bytes : 0.0;
    const double share = total_flops_ > 0 ? 100.0 * o.flops / total_flops_ : 0.0;
    if (role == RawValueRole) {
        switch (index.column()) {
            case OpColumn: return QString::fromLatin1(kvs::to_string(o.op));
            case FlopsColumn: return o.flops;
            case BytesColumn: return o.bytes;
            case IntensityColumn: return intensity;
            case ShareColumn: return share;
            case TimeColumn: return o.measured_ms;
            default: return {};
        }
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case OpColumn: return QString::fromLatin1(kvs::op_label(o.op));
            case FlopsColumn: return human_flops(o.flops);
            case BytesColumn: return human_bytes(std::int64_t(o.bytes));
            case IntensityColumn: return QString::number(intensity, 'f', 2);
            case ShareColumn: return QStringLiteral("%1 %").arg(share, 0, 'f', 1);
            case TimeColumn: return o.measured_ms >= 0 ? QStringLiteral("%1 ms").arg(o.measured_ms, 0, 'f', 3)
                                                       : QStringLiteral("—");
            default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != OpColumn)
        return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole && index.column() == IntensityColumn)
        return tr("FLOPs per byte moved: high = compute-bound (GEMM), low = memory-bound (GEMV, cache reads).");
    return {};
}

QVariant OpBreakdownModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return {};
    if (orientation == Qt::Vertical) return section + 1;
    switch (section) {
        case OpColumn: return tr("Op");
        case FlopsColumn: return tr("FLOPs");
        case BytesColumn: return tr("Bytes");
        case IntensityColumn: return tr("FLOPs/byte");
        case ShareColumn: return tr("Share");
        case TimeColumn: return tr("Measured");
        default: return {};
    }
}

}  // namespace kvs::ui
