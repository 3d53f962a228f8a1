#include "step_table_view.h"

#include <QHeaderView>

#include "run_data.h"
#include "step_table_model.h"

namespace kvs::ui {

StepTableView::StepTableView(RunData* run, QWidget* parent)
    : QTableView(parent), run_(run), model_(new StepTableModel(run, this)) {
    setModel(model_);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setAlternatingRowColors(true);
    verticalHeader()->hide();
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSectionResizeMode(StepTableModel::TokenColumn, QHeaderView::Stretch);
    setToolTip(tr("Step 0 is the prefill (the whole prompt in one pass); each later step computes one position "
                  "with the cache (or all of them without it). Select a row to select its step."));
    connect(selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (current.isValid() && current.row() < int(run_->steps().size()))
            run_->setSelectedStep(run_->steps()[std::size_t(current.row())].step);
    });
    connect(run_, &RunData::selectionChanged, this, [this] {
        const int step = run_->selectedStep();
        if (step < 0 || step >= model_->rowCount() || currentIndex().row() == step) return;
        const QModelIndex index = model_->index(step, 0);
        selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        scrollTo(index);
    });
}

}  // namespace kvs::ui
