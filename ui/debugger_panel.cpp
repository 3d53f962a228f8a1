#include "debugger_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "engine_controller.h"
#include "human_units.h"
#include "logit_lens_box.h"
#include "run_data.h"

namespace kvs::ui {

DebuggerPanel::DebuggerPanel(RunData* run, EngineController* controller, QWidget* parent)
    : QWidget(parent), run_(run), controller_(controller) {
    auto* layout = new QVBoxLayout(this);
    stop_ = new QLabel(tr("No run yet: Prefill, Step or Run start one."));
    stop_->setObjectName("debuggerStop");
    stop_->setWordWrap(true);
    layout->addWidget(stop_);

    // The selected step: go back before it, or make it take another token.
    auto* step_box = new QGroupBox(tr("Selected step (click a token or a row of the step table)"));
    auto* sl = new QVBoxLayout(step_box);
    step_ = new QLabel;
    step_->setWordWrap(true);
    sl->addWidget(step_);
    auto* row1 = new QHBoxLayout;
    rewind_ = new QPushButton(tr("Go back to before this step"));
    rewind_->setObjectName("debuggerRewind");
    keep_ = new QCheckBox(tr("keep what followed as a branch"));
    keep_->setChecked(true);
    row1->addWidget(rewind_);
    row1->addWidget(keep_);
    row1->addStretch();
    sl->addLayout(row1);
    auto* row2 = new QHBoxLayout;
    candidates_ = new QComboBox;
    candidates_->setObjectName("debuggerCandidates");
    candidates_->setMinimumContentsLength(24);
    force_ = new QPushButton(tr("Take this token instead"));
    force_->setObjectName("debuggerForce");
    row2->addWidget(candidates_, 1);
    row2->addWidget(force_);
    sl->addLayout(row2);
    auto* row3 = new QHBoxLayout;
    text_ = new QLineEdit;
    text_->setObjectName("debuggerText");
    text_->setPlaceholderText(tr("or type text the model should say here"));
    force_text_ = new QPushButton(tr("Take this text"));
    row3->addWidget(text_, 1);
    row3->addWidget(force_text_);
    sl->addLayout(row3);
    layout->addWidget(step_box);

    auto* branch_box = new QGroupBox(tr("Branches (select one to show it in every view)"));
    auto* bl = new QVBoxLayout(branch_box);
    branches_ = new QTreeWidget;
    branches_->setObjectName("debuggerBranches");
    branches_->setHeaderLabels({tr("Branch"), tr("From step"), tr("Steps"), tr("Own memory"), tr("Shared"), tr("Text")});
    branches_->setRootIsDecorated(true);
    branches_->header()->setStretchLastSection(true);
    branches_->setMinimumHeight(110);
    bl->addWidget(branches_);
    drop_ = new QPushButton(tr("Drop branch"));
    bl->addWidget(drop_, 0, Qt::AlignLeft);
    // Branches and breakpoints side by side: the tab stays short enough for a small screen.
    auto* lists = new QHBoxLayout;
    lists->addWidget(branch_box, 3);
    layout->addLayout(lists, 1);

    auto* bp_box = new QGroupBox(tr("Breakpoints (stop after the step that meets one)"));
    auto* pl = new QVBoxLayout(bp_box);
    breakpoints_ = new QTreeWidget;
    breakpoints_->setObjectName("debuggerBreakpoints");
    breakpoints_->setHeaderLabels({tr("On"), tr("Breakpoint")});
    breakpoints_->setRootIsDecorated(false);
    breakpoints_->setMinimumHeight(90);
    pl->addWidget(breakpoints_);
    auto* row4 = new QHBoxLayout;
    spec_ = new QLineEdit;
    spec_->setObjectName("debuggerSpec");
    spec_->setPlaceholderText(tr("e.g. entropy>2"));
    spec_->setToolTip(tr("pos=20, token=411, text=ball, entropy>2, entropy<0.1, top1<0.3, not-argmax, "
                         "attn=LAYER,HEAD,POS>0.5, sink=LAYER,HEAD<0.1 (* for any), cache-bytes>=64KiB, cache-blocks>=3"));
    add_ = new QPushButton(tr("Add"));
    remove_ = new QPushButton(tr("Remove"));
    row4->addWidget(spec_, 1);
    row4->addWidget(add_);
    row4->addWidget(remove_);
    pl->addLayout(row4);
    lists->addWidget(bp_box, 2);

    lens_ = new LogitLensBox;
    layout->addWidget(lens_, 1);
    connect(lens_, &LogitLensBox::lensRequested, controller_, &EngineController::requestLogitLens);
    connect(controller_, &EngineController::logitLensReady, lens_, &LogitLensBox::setResult);
    connect(run_, &RunData::cleared, lens_, &LogitLensBox::clear);

    connect(rewind_, &QPushButton::clicked, this, [this] {
        if (const auto* s = selected()) controller_->rewind(s->step, keep_->isChecked());
    });
    connect(force_, &QPushButton::clicked, this, [this] {
        const auto* s = selected();
        if (s && candidates_->currentIndex() >= 0) controller_->forceAt(s->step, candidates_->currentData().toInt());
    });
    const auto force_text = [this] {
        const auto* s = selected();
        if (s && !text_->text().isEmpty()) controller_->forceAt(s->step, -1, text_->text());
    };
    connect(force_text_, &QPushButton::clicked, this, force_text);
    connect(text_, &QLineEdit::returnPressed, this, force_text);
    connect(branches_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (filling_ || !item) return;
        const int id = item->data(0, Qt::UserRole).toInt();
        if (id != state_.active_branch) controller_->switchBranch(id);
    });
    connect(drop_, &QPushButton::clicked, this, [this] {
        if (auto* item = branches_->currentItem()) controller_->dropBranch(item->data(0, Qt::UserRole).toInt());
    });
    const auto add = [this] {
        if (spec_->text().trimmed().isEmpty()) return;
        controller_->addBreakpoint(spec_->text());
        spec_->clear();
    };
    connect(add_, &QPushButton::clicked, this, add);
    connect(spec_, &QLineEdit::returnPressed, this, add);
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (auto* item = breakpoints_->currentItem()) controller_->removeBreakpoint(item->data(0, Qt::UserRole).toInt());
    });
    connect(breakpoints_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
        if (filling_ || column != 0) return;
        controller_->setBreakpointEnabled(item->data(0, Qt::UserRole).toInt(), item->checkState(0) == Qt::Checked);
    });
    connect(run_, &RunData::selectionChanged, this, &DebuggerPanel::updateStep);
    connect(run_, &RunData::stepsAppended, this, &DebuggerPanel::updateStep);
    connect(run_, &RunData::cleared, this, &DebuggerPanel::updateStep);
    connect(controller_, &EngineController::debuggerChanged, this, &DebuggerPanel::setState);
    connect(controller_, &EngineController::busyChanged, this, [this](bool busy) { setEnabled(!busy); });
    updateStep();
}

const kvs::StepFinished* DebuggerPanel::selected() const {
    const auto& steps = run_->steps();
    if (steps.empty()) return nullptr;
    const int want = run_->selectedStep() >= 0 ? run_->selectedStep() : steps.back().step;
    for (const auto& s : steps)
        if (s.step == want) return &s;
    return nullptr;
}

void DebuggerPanel::updateStep() {
    const kvs::StepFinished* s = selected();
    const bool usable = s && state_.available;
    rewind_->setEnabled(usable);
    force_->setEnabled(usable);
    force_text_->setEnabled(usable);
    candidates_->clear();
    lens_->setStep(usable ? s->step : -1);
    if (!s) {
        step_->setText(state_.available || !run_->hasRun() ? tr("No step selected.")
                                                           : tr("The debugger works on runs of one prompt."));
        return;
    }
    const int position = s->first_pos + s->n_positions;
    step_->setText(tr("Step %1 chose position %2: %3 '%4'%5 (entropy %6 nats)")
                       .arg(s->step)
                       .arg(position)
                       .arg(s->sampled_token)
                       .arg(QString::fromStdString(s->sampled_label))
                       .arg(s->forced ? tr(", forced") : QString())
                       .arg(s->entropy, 0, 'f', 3));
    for (const auto& t : s->top)
        candidates_->addItem(QString("%1  '%2'  %3%").arg(t.id).arg(QString::fromStdString(t.label)).arg(
                                 100.0 * t.probability, 0, 'f', 1),
                             t.id);
    if (candidates_->count() > 1) candidates_->setCurrentIndex(1);  // the runner-up: the usual "what if"
}

void DebuggerPanel::setState(const kvs::ui::DebuggerState& state) {
    state_ = state;
    filling_ = true;
    stop_->setText(!state.available ? tr("The debugger works on runs of one prompt.")
                   : state.stop.isEmpty()
                       ? tr("Branch %1, next step %2.").arg(state.active_branch).arg(state.next_step)
                       : tr("Stopped at %1").arg(state.stop));
    branches_->clear();
    std::map<int, QTreeWidgetItem*> items;
    for (const kvs::BranchInfo& b : state.branches) {
        auto* parent = items.count(b.parent) ? items[b.parent] : nullptr;
        auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(branches_);
        item->setData(0, Qt::UserRole, b.id);
        item->setText(0, QString("%1%2").arg(b.id).arg(b.active ? tr(" (shown)") : QString()));
        item->setText(1, b.parent < 0 ? QString() : QString::number(b.fork_step));
        item->setText(2, QString::number(b.steps));
        item->setText(3, QString("%1 (%2 blocks)").arg(human_bytes(b.own_bytes)).arg(b.own_blocks));
        item->setText(4, QString("%1 (%2 blocks)").arg(human_bytes(b.shared_bytes)).arg(b.shared_blocks));
        item->setText(5, QString::fromStdString(b.text).simplified());
        item->setToolTip(5, QString::fromStdString(b.text));
        if (b.active) {
            QFont f = item->font(0);
            f.setBold(true);
            for (int c = 0; c < 6; ++c) item->setFont(c, f);
        }
        items[b.id] = item;
    }
    branches_->expandAll();
    if (items.count(state.active_branch)) branches_->setCurrentItem(items[state.active_branch]);
    for (int c = 0; c < 5; ++c) branches_->resizeColumnToContents(c);
    breakpoints_->clear();
    for (const kvs::Breakpoint& b : state.breakpoints) {
        auto* item = new QTreeWidgetItem(breakpoints_);
        item->setData(0, Qt::UserRole, b.id);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, b.enabled ? Qt::Checked : Qt::Unchecked);
        item->setText(0, QString::number(b.id));
        item->setText(1, QString::fromStdString(kvs::breakpoint_spec(b)));
    }
    filling_ = false;
    updateStep();
}

}  // namespace kvs::ui
