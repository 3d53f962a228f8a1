#include "views/cache_inspector_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

#include "run_data.h"
#include "views/value_heatmap.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {
const char* kHelp =
    "The cached keys (left) and values (right) of one layer and KV head: one row per position, one "
    "column per head dimension, white = 0, red positive, blue negative. Each decode step appends one "
    "row to both; nothing already cached changes. With RoPE the keys carry their position as a "
    "rotation, which shows as patterns along the rows.";
}

CacheInspectorView::CacheInspectorView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    static const int registered = qRegisterMetaType<kvs::ui::KvSnapshot>();
    Q_UNUSED(registered);
    // Asking on every step of a fast run would copy the cache hundreds of times a second.
    request_ = new RedrawCoalescer([this] { requestSnapshot(); }, this, 200);

    layer_box_ = new QSpinBox;
    layer_box_->setPrefix(tr("layer "));
    head_box_ = new QSpinBox;
    head_box_->setPrefix(tr("KV head "));
    auto* refresh = new QPushButton(tr("Refresh"));
    shape_label_ = new QLabel;
    shape_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    shape_label_->setWordWrap(true);
    keys_ = new ValueHeatmap(tr("K (keys)"), tr("position"), tr("dim"));
    values_ = new ValueHeatmap(tr("V (values)"), tr("position"), tr("dim"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(layer_box_);
    bar->addWidget(head_box_);
    bar->addWidget(refresh);
    bar->addStretch();
    bar->addWidget(make_help_label(tr(kHelp), this));
    auto* maps = new QHBoxLayout;
    maps->addWidget(keys_);
    maps->addWidget(values_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(bar));
    layout->addWidget(shape_label_);
    layout->addLayout(maps, 1);

    connect(refresh, &QPushButton::clicked, this, &CacheInspectorView::requestSnapshot);
    connect(layer_box_, &QSpinBox::valueChanged, request_, &RedrawCoalescer::request);
    connect(head_box_, &QSpinBox::valueChanged, request_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, this, &CacheInspectorView::onRunChanged);
    connect(run_, &RunData::cleared, this, &CacheInspectorView::onRunChanged);
    connect(run_, &RunData::stepsAppended, request_, &RedrawCoalescer::request);
    connect(run_, &RunData::sequenceChanged, request_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, &CacheInspectorView::onSelectionChanged);
    onRunChanged();
}

int CacheInspectorView::layer() const { return layer_box_->value(); }
int CacheInspectorView::kvHead() const { return head_box_->value(); }

void CacheInspectorView::onRunChanged() {
    const bool has = run_->hasRun();
    layer_box_->setRange(0, has ? std::max(0, run_->run().config.n_layers - 1) : 0);
    head_box_->setRange(0, has ? std::max(0, run_->run().config.n_kv_heads - 1) : 0);
    snapshot_ = KvSnapshot{};
    shown_rows_ = 0;
    keys_->setMatrix(0, 0, {});
    values_->setMatrix(0, 0, {});
    updateShapeLabel();
}

void CacheInspectorView::onSelectionChanged() {
    if (!run_->hasRun()) return;
    if (snapshot_.length > 0) showSnapshot();
    const int group = std::max(1, run_->run().config.gqa_group());
    layer_box_->setValue(run_->selectedLayer());
    head_box_->setValue(run_->selectedHead() / group);
}

void CacheInspectorView::showLayerHead(int layer, int kv_head) {
    layer_box_->setValue(layer);
    head_box_->setValue(kv_head);
    request_->cancel();
    requestSnapshot();
}

void CacheInspectorView::requestSnapshot() {
    if (run_->hasRun()) emit snapshotRequested(layer(), kvHead(), run_->selectedSequence());
}

QString CacheInspectorView::shapeText() const {
    if (!run_->hasRun()) return tr("No run yet.");
    const KvLayout& k = run_->run().kv_layout;
    const int seq = run_->kvPoints().empty() ? 0 : run_->kvPoints().back().positions;
    const int blocks = int(run_->pool().table(run_->selectedSequence()).size());
    return tr("Sequence %1, per layer, for K and for V: [kv_heads %2, seq %3, head_dim %4] (%5) in %6 blocks of %7 "
              "positions from a pool of %8 (capacity %9 positions per sequence). Shown: layer %10, KV head %11 → K "
              "and V each [%12, %4], read through the sequence's block table%13.")
        .arg(run_->selectedSequence())
        .arg(k.n_kv_heads)
        .arg(seq)
        .arg(k.head_dim)
        .arg(QString::fromLatin1(kvs::to_string(k.dtype)))
        .arg(blocks)
        .arg(k.block_positions())
        .arg(k.pool_blocks())
        .arg(k.capacity)
        .arg(layer())
        .arg(kvHead())
        .arg(shown_rows_)
        .arg(run_->selectedStep() >= 0 && shown_rows_ > 0
                 ? tr(", as step %1 left it (its positions framed)").arg(run_->selectedStep())
                 : QString());
}

void CacheInspectorView::updateShapeLabel() { shape_label_->setText(shapeText()); }

void CacheInspectorView::setSnapshot(const KvSnapshot& snapshot) {
    if (run_->hasRun() && snapshot.sequence != run_->selectedSequence()) return;  // asked before another was selected
    snapshot_ = snapshot;
    if (snapshot.layer != layer() || snapshot.kv_head != kvHead()) {
        layer_box_->setValue(snapshot.layer);
        head_box_->setValue(snapshot.kv_head);
        request_->cancel();  // following the snapshot is not a new choice to request
    }
    showSnapshot();
}

void CacheInspectorView::showSnapshot() {
    // With a step selected, the cache as that step left it: the positions up to its end, the ones
    // it wrote framed. (The cache only grows, so they are the first rows of the latest read.)
    const KvSnapshot& s = snapshot_;
    int rows = s.length, first = 0, count = 0;
    const int step = run_->selectedStep();
    const auto& steps = run_->steps();
    if (step >= 0 && step < int(steps.size()) && steps[std::size_t(step)].step == step) {
        const auto& finished = steps[std::size_t(step)];
        rows = std::min(s.length, finished.first_pos + finished.n_positions);
        first = finished.first_pos;
        count = std::max(0, rows - first);
    }
    shown_rows_ = rows;
    const auto take = [&](const std::vector<float>& all) {
        const std::size_t n = std::min(all.size(), std::size_t(std::max(0, rows)) * std::size_t(std::max(0, s.head_dim)));
        return std::vector<float>(all.begin(), all.begin() + std::ptrdiff_t(n));
    };
    keys_->setMatrix(rows, s.head_dim, take(s.keys));
    values_->setMatrix(rows, s.head_dim, take(s.values));
    keys_->setHighlightedRows(first, count);
    values_->setHighlightedRows(first, count);
    updateShapeLabel();
}

}  // namespace kvs::ui
