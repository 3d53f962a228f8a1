#include "views/attention_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>

#include "views/attention_grid_view.h"
#include "views/attention_heatmap.h"
#include "run_data.h"
#include "views/view_help.h"
#include <QScrollBar>
#include <algorithm>

namespace kvs::ui {

AttentionView::AttentionView(RunData* run, QWidget* parent) : QWidget(parent) {
    grid_ = new AttentionGridView(run);
    heatmap_ = new AttentionHeatmap(run);
    scroll_ = new QScrollArea;
    scroll_->setWidget(grid_);
    scroll_->setWidgetResizable(false);
    scroll_->setMinimumWidth(260);
    splitter_ = new QSplitter(Qt::Horizontal);
    splitter_->addWidget(scroll_);
    splitter_->addWidget(heatmap_);
    splitter_->setStretchFactor(0, 1);
    splitter_->setStretchFactor(1, 2);
    connect(run, &RunData::runStarted, this, [this] { QMetaObject::invokeMethod(this, [this] { fitGrid(); }, Qt::QueuedConnection); });

    const QString help = tr(
        "Attention is the only place where positions mix: each query position weighs the keys of all "
        "earlier positions (row sums are 1). That is why K and V, and nothing else, are cached. During "
        "decoding each step adds one row, so the causal triangle builds up. Left: all layers and heads "
        "(GQA groups framed); right: the selected head with token labels. Colours show sqrt(p).");
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Attention maps")));
    bar->addStretch();
    bar->addWidget(make_help_label(help, this));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(bar));
    layout->addWidget(splitter_, 1);
}

void AttentionView::refreshNow() {
    grid_->refreshNow();
    heatmap_->refreshNow();
    fitGrid();
}

void AttentionView::fitGrid() {
    grid_->refreshNow();
    grid_->adjustSize();
    // Give the grid the width it needs (up to 60% of the view, so that a model with 8 heads
    // shows whole); the heatmap takes the rest.
    const int total = splitter_->width();
    const int want =
        std::min(total * 3 / 5, grid_->sizeHint().width() + scroll_->verticalScrollBar()->sizeHint().width() + 6);
    if (total > 0) splitter_->setSizes({want, total - want});
}

}  // namespace kvs::ui
