#include "views/token_ops_view.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

#include "human_units.h"
#include "run_data.h"
#include "views/cache_access_diagram.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {

const char* kHelp =
    "One step of the generation taken apart into the ops of the forward pass, in the order they run. For "
    "each op: what it reads from and writes to its layer's KV cache, its FLOPs and the bytes it moves. Only "
    "two ops touch other positions: the scores (the new query against every cached key) and the values (the "
    "weighted sum of every cached value); the cache write appends this step's K and V rows. Everything else "
    "works on this step's own tokens, which is why only K and V need keeping. Left / Right walk through the "
    "ops; Play walks on its own.";

QString why(kvs::OpKind op) {
    using kvs::OpKind;
    switch (op) {
        case OpKind::Embedding: return TokenOpsView::tr("Looks up the token's row of the embedding table. No cache.");
        case OpKind::AttnNorm: return TokenOpsView::tr("Normalizes this token's vector. Its own position only.");
        case OpKind::QkvProjection:
            return TokenOpsView::tr("Projects this token's vector to its query, key and value. The key and value are "
                                    "the rows the cache keeps; earlier tokens' K and V are not recomputed.");
        case OpKind::Rope:
            return TokenOpsView::tr("Rotates the query and key by this token's position (RoPE): the position lives in "
                                    "K, so a cached key stays valid.");
        case OpKind::KvWrite:
            return TokenOpsView::tr("Appends this step's K and V rows to the layer's cache: the cache grows by one "
                                    "row per token, in every layer.");
        case OpKind::AttentionScores:
            return TokenOpsView::tr("The new query against every cached key (Q K^T / sqrt(d), causal): the whole K "
                                    "cache of this layer is read, once per step.");
        case OpKind::Softmax:
            return TokenOpsView::tr("Turns each head's scores into weights over the positions (they sum to 1). The "
                                    "V column shows the weights of the selected head when attention was captured.");
        case OpKind::AttentionValues:
            return TokenOpsView::tr("The weighted sum of every cached value: the whole V cache of this layer is read. "
                                    "This and the scores are the only ops that see other positions.");
        case OpKind::OutputProjection: return TokenOpsView::tr("Mixes the heads' outputs back into the model width. No cache.");
        case OpKind::Residual: return TokenOpsView::tr("Adds the result to the token's running vector. No cache.");
        case OpKind::FfnNorm: return TokenOpsView::tr("Normalizes before the feed-forward network. No cache.");
        case OpKind::FfnGate:
        case OpKind::FfnUp:
        case OpKind::FfnActivation:
        case OpKind::FfnDown:
            return TokenOpsView::tr("The feed-forward network, on this token alone: most of the weights and FLOPs "
                                    "of a decode step, and nothing to cache.");
        case OpKind::FinalNorm: return TokenOpsView::tr("Normalizes the last layer's output. No cache.");
        case OpKind::Classifier:
            return TokenOpsView::tr("Scores every word of the vocabulary for the next token. No cache.");
        case OpKind::Count: break;
    }
    return {};
}

QString op_title(const kvs::OpCostEvent& e) {
    const QString name = QString::fromUtf8(kvs::op_label(e.op));
    return e.layer >= 0 ? TokenOpsView::tr("L%1 · %2").arg(e.layer).arg(name) : name;
}

}  // namespace

TokenOpsView::TokenOpsView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    setFocusPolicy(Qt::StrongFocus);
    ops_ = new QListWidget;
    ops_->setMaximumWidth(240);
    ops_->setMinimumWidth(170);
    diagram_ = new CacheAccessDiagram;
    title_ = new QLabel;
    QFont bold = title_->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.2);
    title_->setFont(bold);
    details_ = new QLabel;
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* previous = new QPushButton(tr("◀ Previous op"));
    auto* next = new QPushButton(tr("Next op ▶"));
    play_ = new QPushButton(tr("Play"));
    play_->setCheckable(true);
    previous->setToolTip(tr("The op before (Left)"));
    next->setToolTip(tr("The op after (Right)"));
    play_->setToolTip(tr("Walk through the ops on its own, one every %1 s").arg(kPlayIntervalMs / 1000.0));
    play_timer_ = new QTimer(this);
    play_timer_->setInterval(kPlayIntervalMs);
    connect(previous, &QPushButton::clicked, this, &TokenOpsView::previousOp);
    connect(next, &QPushButton::clicked, this, &TokenOpsView::nextOp);
    connect(play_, &QPushButton::toggled, this, [this](bool on) { on ? play_timer_->start() : play_timer_->stop(); });
    connect(play_timer_, &QTimer::timeout, this, [this] {
        if (currentOp() + 1 >= opCount()) play_->setChecked(false);
        else nextOp();
    });
    connect(ops_, &QListWidget::currentRowChanged, this, &TokenOpsView::showOp);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Ops of one token")));
    bar->addStretch();
    bar->addWidget(previous);
    bar->addWidget(next);
    bar->addWidget(play_);
    bar->addWidget(make_help_label(tr(kHelp), this, diagram_, QStringLiteral("Ops of one token")));
    auto* right = new QVBoxLayout;
    right->addWidget(title_);
    right->addWidget(diagram_, 1);
    right->addWidget(details_);
    auto* body = new QHBoxLayout;
    body->addWidget(ops_);
    body->addLayout(right, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(bar));
    layout->addLayout(body, 1);

    connect(run_, &RunData::stepsAppended, this, &TokenOpsView::reload);
    connect(run_, &RunData::selectionChanged, this, &TokenOpsView::reload);
    connect(run_, &RunData::cleared, this, &TokenOpsView::reload);
    reload();
}

int TokenOpsView::opCount() const { return ops_->count(); }
int TokenOpsView::currentOp() const { return ops_->currentRow(); }
void TokenOpsView::setCurrentOp(int index) { ops_->setCurrentRow(std::clamp(index, 0, std::max(0, opCount() - 1))); }
void TokenOpsView::nextOp() { setCurrentOp(currentOp() + 1); }
void TokenOpsView::previousOp() { setCurrentOp(currentOp() - 1); }
QString TokenOpsView::explanation() const { return details_->text(); }

void TokenOpsView::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Right) nextOp();
    else if (event->key() == Qt::Key_Left) previousOp();
    else QWidget::keyPressEvent(event);
}

void TokenOpsView::reload() {
    // The selected step, else the latest; the op in view stays when the step stays.
    int step = run_->selectedStep();
    if (step < 0 && !run_->steps().empty()) step = run_->steps().back().step;
    const bool same = step == step_ && step >= 0;
    step_ = step;
    if (same && ops_->count() > 0) return;
    const int keep = same ? currentOp() : 0;
    QSignalBlocker block(ops_);
    ops_->clear();
    if (step_ >= 0 && step_ < int(run_->opCosts().size()))
        for (const kvs::OpCostEvent& e : run_->opCosts()[std::size_t(step_)])
            if (e.sequence == run_->selectedSequence()) {
                auto* item = new QListWidgetItem(op_title(e), ops_);
                item->setData(Qt::UserRole, int(e.op));
                item->setData(Qt::UserRole + 1, e.layer);
                if (cache_access(e.op, 0, 1).touchesCache()) item->setForeground(QColor(31, 119, 180));
            }
    block.unblock();
    if (ops_->count() == 0) {
        title_->setText(step_ < 0 ? tr("No step yet") : tr("Step %1 reported no op costs").arg(step_));
        details_->clear();
        diagram_->clear();
        return;
    }
    setCurrentOp(keep);
    showOp();
}

void TokenOpsView::showOp() {
    const int row = currentOp();
    if (row < 0 || step_ < 0 || step_ >= int(run_->opCosts().size())) return;
    const auto& all = run_->opCosts()[std::size_t(step_)];
    const kvs::OpCostEvent* e = nullptr;
    for (int i = 0, mine = 0; i < int(all.size()); ++i) {
        if (all[std::size_t(i)].sequence != run_->selectedSequence()) continue;
        if (mine++ == row) e = &all[std::size_t(i)];
    }
    const kvs::StepFinished* s = nullptr;
    for (const auto& st : run_->steps())
        if (st.step == step_) s = &st;
    if (!e || !s) return;
    // The weights of the step's last query in the selected head, when captured for this layer.
    std::vector<float> weights;
    const int last = s->first_pos + s->n_positions - 1;
    if (e->layer >= 0 && (e->op == kvs::OpKind::Softmax || e->op == kvs::OpKind::AttentionValues))
        if (const AttentionMatrix* m = run_->attention(e->layer, run_->selectedHead()); m && last < m->size)
            weights = m->rows[std::size_t(last)];
    diagram_->show(e->op, e->layer, s->first_pos, s->n_positions, std::move(weights));
    title_->setText(tr("Step %1 (%2 %3), op %4 of %5: %6")
                        .arg(step_)
                        .arg(s->phase == kvs::Phase::Prefill ? tr("prefill of") : tr("decode at position"))
                        .arg(s->phase == kvs::Phase::Prefill ? tr("%1 positions").arg(s->n_positions)
                                                            : QString::number(s->first_pos))
                        .arg(row + 1)
                        .arg(opCount())
                        .arg(op_title(*e)));
    QString text = why(e->op) + "\n\n";
    text += tr("%1 FLOPs, %2 read, %3 written").arg(human_count(e->flops), human_bytes(std::int64_t(e->bytes_read)),
                                                   human_bytes(std::int64_t(e->bytes_written)));
    if (e->measured_ms >= 0) text += tr(", %1 ms measured").arg(e->measured_ms, 0, 'f', 3);
    const CacheAccess& a = diagram_->access();
    if (a.write_count > 0) text += tr(". Cache rows written: positions %1-%2").arg(a.write_first).arg(a.write_first + a.write_count - 1);
    if (a.k_read_count > 0) text += tr(". K rows read: positions %1-%2").arg(a.k_read_first).arg(a.k_read_first + a.k_read_count - 1);
    if (a.v_read_count > 0) text += tr(". V rows read: positions %1-%2").arg(a.v_read_first).arg(a.v_read_first + a.v_read_count - 1);
    details_->setText(text + ".");
}

}  // namespace kvs::ui
