#include "views/perturbation_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include "run_data.h"
#include "views/perturbation_grid.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {

const char* kHelp =
    "Why only K and V are cached. The run's tokens go through the model twice with every activation tapped; "
    "the second time the token at the chosen position is replaced. Each row is one op of one layer in the order "
    "the forward pass runs them, each column a position; a cell's colour is how much that activation moved "
    "(grey: not at all, bit for bit). Nothing before the changed position ever moves: embedding, norms, "
    "projections and the FFN see only their own position, and attention looks only backwards. So the K and V "
    "already computed for earlier positions stay valid whatever comes after them, and they are all a later "
    "step needs of those positions. Zeroing a layer's FFN output (or Q) at a position shows the other half of "
    "the argument: two layers deeper, the K and V of every later position move, so a prefill cannot skip the "
    "FFN or Q of earlier positions even though only their K and V are kept.";

enum Kind { ChangeToken, ZeroFfn, ZeroQuery };

}  // namespace

PerturbationView::PerturbationView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    kind_ = new QComboBox;
    kind_->setObjectName("perturbationKind");
    kind_->addItem(tr("Change the token at"), ChangeToken);
    kind_->addItem(tr("Zero the FFN output of layer"), ZeroFfn);
    kind_->addItem(tr("Zero Q of layer"), ZeroQuery);
    layer_ = new QSpinBox;
    layer_->setObjectName("perturbationLayer");
    layer_->setRange(0, 0);
    position_ = new QSpinBox;
    position_->setObjectName("perturbationPosition");
    position_->setRange(0, 0);
    position_->setPrefix(tr("position "));
    run_button_ = new QPushButton(tr("Run"));
    run_button_->setObjectName("perturbationRun");
    summary_ = new QLabel(tr("Start a run, then pick a position and press Run."));
    summary_->setObjectName("perturbationSummary");
    summary_->setWordWrap(true);
    grid_ = new PerturbationGrid;
    grid_->setObjectName("perturbationGrid");

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Why only K and V:")));
    bar->addWidget(kind_);
    bar->addWidget(layer_);
    bar->addWidget(position_);
    bar->addWidget(run_button_);
    bar->addStretch();
    bar->addWidget(make_help_label(tr(kHelp), this, grid_, QStringLiteral("Why only K and V")));
    auto* scroll = new QScrollArea;
    scroll->setWidget(grid_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(bar));
    layout->addWidget(summary_);
    layout->addWidget(scroll, 1);

    connect(kind_, &QComboBox::currentIndexChanged, this, &PerturbationView::updateControls);
    connect(run_button_, &QPushButton::clicked, this, &PerturbationView::request);
    connect(run_, &RunData::stepsAppended, this, &PerturbationView::updateControls);
    connect(run_, &RunData::cleared, this, [this] {
        grid_->clear();
        updateControls();
    });
    updateControls();
}

void PerturbationView::setLayers(int layers) {
    layer_->setRange(0, std::max(0, layers - 1));
    updateControls();
}

void PerturbationView::updateControls() {
    const int tokens = int(run_->tokens().size());
    position_->setRange(0, std::max(0, tokens - 1));
    layer_->setVisible(kind_->currentData().toInt() != ChangeToken);
    run_button_->setEnabled(tokens > 0);
}

void PerturbationView::runExperiment(int position, int zero_layer) {
    kind_->setCurrentIndex(zero_layer < 0 ? ChangeToken : ZeroFfn);
    if (zero_layer >= 0) layer_->setValue(zero_layer);
    position_->setValue(position);
    request();
}

void PerturbationView::request() {
    const int kind = kind_->currentData().toInt();
    summary_->setText(tr("Running both passes…"));
    emit experimentRequested(position_->value(), kind == ChangeToken ? -1 : layer_->value(),
                             kind == ZeroFfn ? QStringLiteral("ffn_output") : kind == ZeroQuery ? QStringLiteral("q") : QString());
}

QString PerturbationView::summary() const { return summary_->text(); }

void PerturbationView::setResult(const PerturbationResult& result) {
    const kvs::PerturbationReport& r = result.report;
    bool earlier = false;
    for (const kvs::ActivationChange& c : r.changes)
        for (int p = 0; p < r.position && p < int(c.max_diff.size()); ++p) earlier = earlier || c.max_diff[std::size_t(p)] != 0;
    const QString what = r.kind == kvs::PerturbationReport::Kind::Token
                             ? tr("Position %1: '%2' replaced by '%3'.").arg(r.position).arg(result.original, result.replacement)
                             : tr("Layer %1's %2 zeroed at position %3.")
                                   .arg(r.patch.layer)
                                   .arg(QString::fromUtf8(kvs::tap_label(r.patch.point)))
                                   .arg(r.position);
    QString spread;
    if (const kvs::ActivationChange* s = r.first_spread())
        spread = tr(" Later positions first move at %1%2.")
                     .arg(s->layer >= 0 ? tr("layer %1 ").arg(s->layer) : QString())
                     .arg(QString::fromUtf8(kvs::tap_label(s->point)));
    summary_->setText(what + " " +
                      (earlier ? tr("Positions before %1 moved.").arg(r.position)
                               : tr("Nothing before position %1 moved, at any layer or op.").arg(r.position)) +
                      spread);
    grid_->setResult(result);
}

}  // namespace kvs::ui
