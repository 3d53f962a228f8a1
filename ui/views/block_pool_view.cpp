#include "views/block_pool_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "human_units.h"
#include "run_data.h"
#include "views/block_grid.h"
#include "views/sequence_colors.h"
#include "views/view_help.h"

namespace kvs::ui {

namespace {

const char* kHelp =
    "The KV cache as the engine keeps it: a pool of physical blocks, each holding block_size positions of "
    "every layer's keys and values. A sequence holds whole blocks, listed in its block table (right): "
    "logical block i of the sequence is physical block table[i], wherever that lies in the pool. A block "
    "referred to by several sequences (a shared prompt prefix, a fork) is framed with its reference count; "
    "the first sequence to write into a shared, partly filled block copies it first (copy on write). Blocks "
    "of the selected sequence have an orange frame. The "
    "last block of a sequence fills as it grows: the unfilled part is the only memory paging wastes. Hatched "
    "blocks are cached: no sequence holds them, but the prefix cache keeps their tokens for a later prompt "
    "until the pool needs them. Hover a block to see whose positions it holds; click it to select its sequence.";

// A coloured square and its meaning, as rich text (a cached block is a plain grey square here).
QString swatch(const QColor& c, const QString& text, bool frame = false) {
    return QString("<span style=\"background-color:%1; border:%2;\">&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%3&nbsp;&nbsp; ")
        .arg(c.name(), frame ? QString("2px solid #282828") : QString("1px solid #a0a0a0"), text.toHtmlEscaped());
}

}  // namespace

BlockPoolView::BlockPoolView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);
    grid_ = new BlockGrid(run_);
    grid_->setObjectName("blockGrid");
    summary_ = new QLabel;
    summary_->setObjectName("poolSummary");
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    legend_ = new QLabel;
    legend_->setTextFormat(Qt::RichText);
    legend_->setWordWrap(true);
    table_title_ = new QLabel;
    table_ = new QTableWidget(0, 4);
    table_->setObjectName("blockTable");
    table_->setHorizontalHeaderLabels({tr("logical"), tr("block"), tr("positions"), tr("shared")});
    table_->verticalHeader()->setVisible(false);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setToolTip(tr("The selected sequence's block table: its logical blocks in order, the physical block "
                          "each one is, and the positions it holds."));

    auto* side = new QWidget;
    auto* side_layout = new QVBoxLayout(side);
    side_layout->setContentsMargins(0, 0, 0, 0);
    side_layout->addWidget(table_title_);
    side_layout->addWidget(table_, 1);
    auto* split = new QSplitter;
    split->addWidget(grid_);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* bar = new QHBoxLayout;
    bar->addWidget(summary_, 1);
    bar->addWidget(make_help_label(tr(kHelp), this, grid_, QStringLiteral("Block pool")), 0, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(legend_);
    layout->addWidget(split, 1);

    connect(run_, &RunData::poolChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::sequenceChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::cleared, redraw_, &RedrawCoalescer::request);
    rebuild();
}

void BlockPoolView::refreshNow() { redraw_->flush(); }

void BlockPoolView::updateLegend() {
    const auto seqs = run_->sequences();
    if (int(seqs.size()) == legend_sequences_) return;
    legend_sequences_ = int(seqs.size());
    QString html;
    for (const auto& s : seqs) html += swatch(sequence_color(s.sequence), tr("sequence %1").arg(s.sequence));
    html += swatch(QColor(40, 40, 40), tr("shared (reference count)"), true);
    html += swatch(selected_sequence_frame_color(), tr("frame: selected sequence"));
    html += swatch(QColor(200, 200, 200), tr("cached (hatched)"));
    html += swatch(Qt::white, tr("free"));
    legend_->setText(html);
}

void BlockPoolView::rebuild() {
    const PoolTracker& pool = run_->pool();
    updateLegend();
    if (!pool.active()) {
        summary_->setText(tr("No run yet."));
        table_title_->clear();
        table_->setRowCount(0);
        rows_.clear();
        grid_->update();
        return;
    }
    const kvs::KvPoolUsage& u = pool.usage();
    const int n = int(pool.blocks().size());
    const PoolTracker::MemoryPoint last = pool.history().empty() ? PoolTracker::MemoryPoint{} : pool.history().back();
    QString text = tr("%1 blocks of %2 positions (%3 each): %4 held by sequences (%5 shared), %6 cached, %7 free. "
                      "Held %8 for positions the formula puts at %9: %10 unfilled in last blocks")
                       .arg(n)
                       .arg(pool.blockSize())
                       .arg(human_bytes(pool.blockBytes()))
                       .arg(u.used_blocks)
                       .arg(u.shared_blocks)
                       .arg(u.cached_blocks)
                       .arg(u.free_blocks)
                       .arg(human_bytes(u.bytes_held))
                       .arg(human_bytes(u.formula_bytes))
                       .arg(human_bytes(last.tail_bytes));
    if (last.shared_bytes > 0) text += tr(", %1 saved by sharing").arg(human_bytes(last.shared_bytes));
    summary_->setText(text + ".");

    // The selected sequence's table: only rows that changed are written.
    const int seq = run_->selectedSequence();
    const auto& table = pool.table(seq);
    const int bs = std::max(1, pool.blockSize()), tokens = pool.tokens(seq);
    table_title_->setText(tr("Block table of sequence %1: %2 positions in %3 blocks").arg(seq).arg(tokens).arg(table.size()));
    std::vector<QStringList> rows;
    rows.reserve(table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
        const int b = table[i];
        const int first = int(i) * bs, filled = std::clamp(tokens - first, 0, bs);
        const int refs = b >= 0 && b < n ? pool.blocks()[std::size_t(b)].refcount : 0;
        rows.push_back({QString::number(i), b >= 0 ? QString::number(b) : QString("-"),
                        filled > 0 ? tr("%1-%2").arg(first).arg(first + filled - 1) : tr("(empty)"),
                        refs > 1 ? tr("%1 sequences").arg(refs) : QString()});
    }
    if (table_->rowCount() != int(rows.size())) table_->setRowCount(int(rows.size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (r < rows_.size() && rows_[r] == rows[r]) continue;
        for (int c = 0; c < 4; ++c) {
            auto* item = table_->item(int(r), c);
            if (!item) table_->setItem(int(r), c, item = new QTableWidgetItem);
            item->setText(rows[r][c]);
            ++cells_written_;
        }
    }
    rows_ = std::move(rows);
    grid_->update();
}

}  // namespace kvs::ui
