#include "step_table_model.h"

#include "human_units.h"
#include "run_data.h"
#include "token_list_model.h"

namespace kvs::ui {

StepTableModel::StepTableModel(RunData* run, QObject* parent) : QAbstractTableModel(parent), run_(run) {
    rows_ = int(run_->steps().size());
    connect(run_, &RunData::cleared, this, &StepTableModel::syncRows);
    connect(run_, &RunData::stepsAppended, this, &StepTableModel::syncRows);
}

void StepTableModel::syncRows() {
    const int now = int(run_->steps().size());
    if (now > rows_) {
        beginInsertRows({}, rows_, now - 1);
        rows_ = now;
        endInsertRows();
    } else if (now < rows_) {
        beginResetModel();
        rows_ = now;
        endResetModel();
    }
}

int StepTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }
int StepTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant StepTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
        case StepColumn: return tr("Step");
        case PhaseColumn: return tr("Phase");
        case PositionsColumn: return tr("Positions");
        case TokenColumn: return tr("Sampled token");
        case ProbabilityColumn: return tr("p");
        case WallColumn: return tr("Wall ms");
        case CacheColumn: return tr("KV cache");
        default: return {};
    }
}

QVariant StepTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const auto& steps = run_->steps();
    if (index.row() >= int(steps.size())) return {};
    const kvs::StepFinished& s = steps[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == TokenColumn || index.column() == PhaseColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                                             : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const bool display = role == Qt::DisplayRole;
    switch (index.column()) {
        case StepColumn: return s.step;
        case PhaseColumn: return QString::fromUtf8(to_string(s.phase));
        case PositionsColumn:
            if (!display) return s.n_positions;
            return QStringLiteral("%1 (from %2)").arg(s.n_positions).arg(s.first_pos);
        case TokenColumn: {
            // As the token stream shows it (a space as "·", a newline as "↵").
            TokenInfo t;
            t.id = s.sampled_token;
            t.label = QString::fromStdString(s.sampled_label);
            t.text = s.sampled_text.empty() ? RunData::textOfLabel(t.label) : QString::fromStdString(s.sampled_text);
            return QStringLiteral("%1 (%2)").arg(TokenListModel::chipText(t)).arg(s.sampled_token);
        }
        case ProbabilityColumn:
            for (const auto& p : s.top)
                if (p.id == s.sampled_token) return display ? QVariant(QString::number(double(p.probability), 'f', 3))
                                                            : QVariant(double(p.probability));
            return {};
        case WallColumn: return display ? QVariant(QString::number(s.wall_ms, 'f', 2)) : QVariant(s.wall_ms);
        case CacheColumn: {
            const auto& kv = run_->kvPoints();
            if (s.step >= int(kv.size())) return {};
            const auto bytes = kv[std::size_t(s.step)].total_bytes_used;
            return display ? QVariant(human_bytes(bytes)) : QVariant(qint64(bytes));
        }
        default: return {};
    }
}

}  // namespace kvs::ui
