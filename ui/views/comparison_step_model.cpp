#include "views/comparison_step_model.h"

#include <QBrush>
#include <QColor>

namespace kvs::ui {
namespace {

QString token_cell(int id, const std::vector<std::string>& labels, int step) {
    const QString label = std::size_t(step) < labels.size() ? QString::fromStdString(labels[std::size_t(step)]) : QString();
    return QStringLiteral("%1 '%2'").arg(id).arg(label);
}

}  // namespace

ComparisonStepModel::ComparisonStepModel(QObject* parent) : QAbstractTableModel(parent) {}

void ComparisonStepModel::setComparison(const kvs::RunComparison& comparison) {
    beginResetModel();
    comparison_ = comparison;
    endResetModel();
}

int ComparisonStepModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(comparison_.steps.size());
}

int ComparisonStepModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ComparisonStepModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const kvs::StepDifference& d = comparison_.steps[std::size_t(index.row())];
    if (role == Qt::BackgroundRole && d.step == comparison_.first_divergence) return QBrush(QColor(255, 214, 102));
    if (role == Qt::ForegroundRole && !d.same_context) return QBrush(QColor(120, 120, 120));
    if (role == Qt::TextAlignmentRole)
        return index.column() >= MaxLogit && index.column() <= TotalVariation ? int(Qt::AlignRight | Qt::AlignVCenter)
                                                                               : int(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::UserRole) return {};
    const bool raw = role == Qt::UserRole;  // numbers, for tests and sorting
    switch (index.column()) {
        case Step: return d.step;
        case Position: return d.position;
        case TokenA: return raw ? QVariant(d.token_a) : QVariant(token_cell(d.token_a, comparison_.labels_a, d.step));
        case TokenB: return raw ? QVariant(d.token_b) : QVariant(token_cell(d.token_b, comparison_.labels_b, d.step));
        case MaxLogit: return raw ? QVariant(d.max_abs_logit) : QVariant(QString::number(d.max_abs_logit, 'g', 3));
        case Kl: return raw ? QVariant(d.kl) : QVariant(QString::number(d.kl, 'g', 3));
        case TotalVariation:
            return raw ? QVariant(d.total_variation) : QVariant(QString::number(d.total_variation, 'g', 3));
        case Context: return raw ? QVariant(d.same_context) : QVariant(d.same_context ? tr("same") : tr("differs"));
        default: return {};
    }
}

QVariant ComparisonStepModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Step: return tr("step");
        case Position: return tr("pos");
        case TokenA: return tr("A chose");
        case TokenB: return tr("B chose");
        case MaxLogit: return tr("max |Δlogit|");
        case Kl: return tr("KL(A‖B)");
        case TotalVariation: return tr("TV");
        case Context: return tr("tokens before");
        default: return {};
    }
}

}  // namespace kvs::ui
