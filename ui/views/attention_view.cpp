#include "views/attention_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>

#include "views/attention_grid_view.h"
#include "views/attention_heatmap.h"
#include "views/view_help.h"

namespace kvs::ui {

AttentionView::AttentionView(RunData* run, QWidget* parent) : QWidget(parent) {
    grid_ = new AttentionGridView(run);
    heatmap_ = new AttentionHeatmap(run);
    auto* scroll = new QScrollArea;
    scroll->setWidget(grid_);
    scroll->setWidgetResizable(false);
    scroll->setMinimumWidth(260);
    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(scroll);
    splitter->addWidget(heatmap_);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);

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
    layout->addLayout(bar);
    layout->addWidget(splitter, 1);
}

void AttentionView::refreshNow() {
    grid_->refreshNow();
    grid_->adjustSize();
    heatmap_->refreshNow();
}

}  // namespace kvs::ui
