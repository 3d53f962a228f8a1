#include "views/pool_memory_view.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "run_data.h"
#include "views/decimated_series.h"
#include "views/sequence_colors.h"
#include "views/view_help.h"

namespace kvs::ui {

namespace {
const char* kHelp =
    "KV memory of the whole block pool after each forward pass (a prefill, or a decode step of every running "
    "sequence). 'held' is what the allocator gives out: every block some sequence refers to, counted once, so "
    "it climbs a block at a time. 'formula' is 2 x layers x kv_heads x head_dim x bytes for every sequence's "
    "positions; 'waste' is the unfilled tails of the sequences' last blocks, 'saved by sharing' the blocks held "
    "once for several sequences (held = formula + waste - saved). 'cached' are blocks no sequence holds, kept for "
    "the prefix cache. The thin lines are each sequence's own blocks (a shared block counts for each of its "
    "sequences).";
}  // namespace

PoolMemoryView::PoolMemoryView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);
    chart_ = new QChart;
    chart_->setTitle(tr("KV block pool memory"));
    axis_x_ = new QValueAxis;
    axis_x_->setTitleText(tr("forward pass"));
    axis_x_->setLabelFormat("%d");
    axis_y_ = new QValueAxis;
    axis_y_->setTitleText(tr("bytes"));
    chart_->addAxis(axis_x_, Qt::AlignBottom);
    chart_->addAxis(axis_y_, Qt::AlignLeft);
    auto make = [this](const QString& name, const QPen& pen) {
        auto* s = new QLineSeries;
        s->setName(name);
        s->setPen(pen);
        chart_->addSeries(s);
        s->attachAxis(axis_x_);
        s->attachAxis(axis_y_);
        return s;
    };
    held_ = make(tr("held (measured)"), QPen(QColor(31, 119, 180), 2.5));
    formula_ = make(tr("formula"), QPen(QColor(214, 39, 40), 1.5, Qt::DashLine));
    waste_ = make(tr("waste (unfilled tails)"), QPen(QColor(255, 127, 14), 1.5));
    shared_ = make(tr("saved by sharing"), QPen(QColor(44, 160, 44), 1.5, Qt::DashDotLine));
    cached_ = make(tr("cached"), QPen(QColor(127, 127, 127), 1.5, Qt::DotLine));
    held_line_ = std::make_unique<DecimatedSeries>(held_);
    formula_line_ = std::make_unique<DecimatedSeries>(formula_);
    waste_line_ = std::make_unique<DecimatedSeries>(waste_);
    shared_line_ = std::make_unique<DecimatedSeries>(shared_);
    cached_line_ = std::make_unique<DecimatedSeries>(cached_);
    chart_->legend()->setAlignment(Qt::AlignBottom);
    view_ = new QChartView(chart_);
    view_->setRenderHint(QPainter::Antialiasing);
    view_->setMinimumSize(320, 240);

    auto* bar = new QHBoxLayout;
    bar->addStretch();
    bar->addWidget(make_help_label(tr(kHelp), this, view_));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(view_, 1);

    connect(run_, &RunData::poolChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, this, [this] {
        if (run_->pool().history().size() < points_read_) reset();
        redraw_->request();
    });
    connect(run_, &RunData::cleared, this, [this] {
        if (run_->pool().history().size() < points_read_) reset();
        redraw_->request();
    });
    connect(chart_, &QChart::plotAreaChanged, redraw_, &RedrawCoalescer::request);
    rebuild();
}

PoolMemoryView::~PoolMemoryView() = default;

void PoolMemoryView::refreshNow() { redraw_->flush(); }

QLineSeries* PoolMemoryView::sequenceSeries(int id) const {
    for (const auto& s : sequences_)
        if (s.id == id) return s.series;
    return nullptr;
}

qint64 PoolMemoryView::pointsWritten() const {
    qint64 n = held_line_->pointsWritten() + formula_line_->pointsWritten() + waste_line_->pointsWritten() +
               shared_line_->pointsWritten() + cached_line_->pointsWritten();
    for (const auto& s : sequences_) n += s.line->pointsWritten();
    return n;
}

void PoolMemoryView::reset() {
    for (auto* line : lines()) line->clear();
    for (auto& s : sequences_) {
        chart_->removeSeries(s.series);
        delete s.series;
    }
    sequences_.clear();
    points_read_ = 0;
    max_bytes_ = 0.0;
}

std::vector<DecimatedSeries*> PoolMemoryView::lines() const {
    return {held_line_.get(), formula_line_.get(), waste_line_.get(), shared_line_.get(), cached_line_.get()};
}

void PoolMemoryView::rebuild() {
    const auto& history = run_->pool().history();
    if (history.size() < points_read_) reset();  // a new run
    // Only the passes not read yet: a refresh costs the new points, not the run's length.
    for (; points_read_ < history.size(); ++points_read_) {
        const PoolTracker::MemoryPoint& m = history[points_read_];
        const double x = double(points_read_ + 1);
        held_line_->append(x, double(m.bytes_held));
        formula_line_->append(x, double(m.formula_bytes));
        waste_line_->append(x, double(m.tail_bytes));
        shared_line_->append(x, double(m.shared_bytes));
        cached_line_->append(x, double(m.bytes_cached));
        max_bytes_ = std::max({max_bytes_, double(m.bytes_held), double(m.formula_bytes), double(m.bytes_cached)});
        for (const auto& [id, bytes] : m.sequence_bytes) {
            auto it = std::find_if(sequences_.begin(), sequences_.end(), [id = id](const auto& s) { return s.id == id; });
            if (it == sequences_.end()) {
                SequenceLine line;
                line.id = id;
                line.series = new QLineSeries;
                line.series->setName(tr("sequence %1").arg(id));
                line.series->setPen(QPen(sequence_color(id), 1.2));
                chart_->addSeries(line.series);
                line.series->attachAxis(axis_x_);
                line.series->attachAxis(axis_y_);
                line.line = std::make_unique<DecimatedSeries>(line.series);
                sequences_.push_back(std::move(line));
                it = sequences_.end() - 1;
            }
            it->line->append(x, double(bytes));
        }
    }
    unit_ = byte_unit_for(max_bytes_);
    set_nice_int_range(axis_x_, std::max<int>(1, int(points_read_)));
    set_nice_range(axis_y_, std::max(max_bytes_ / unit_.scale * 1.05, 1e-9));
    set_title_if_changed(axis_y_, tr("KV memory (%1)").arg(unit_.name));
    const double width = column_width(0.0, axis_x_->max(), plot_pixels(chart_));
    for (auto* line : lines()) {
        line->setColumns(0.0, width);
        line->sync(unit_.scale);
    }
    for (auto& s : sequences_) {
        s.line->setColumns(0.0, width);
        s.line->sync(unit_.scale);
    }
}

}  // namespace kvs::ui
