#include "views/compute_view.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "run_data.h"
#include "views/axis_units.h"
#include "views/column_bars.h"
#include "views/decimated_series.h"
#include "views/op_breakdown_model.h"
#include "views/step_costs.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {

const char* kStepHelp =
    "FLOPs of each step. The prefill runs the whole prompt at once (matrix-matrix products: "
    "compute-bound, it sets the time to first token); each decode step runs one token "
    "(matrix-vector products: memory-bound, it sets the time per token). With a cache a decode "
    "step's projections and FFN cost 1/S of the uncached step.";
const char* kCumulativeHelp =
    "Total FLOPs spent so far. With the cache every new token costs about the same (attention grows "
    "by one key per step): the total grows linearly, O(S). Without the cache each step recomputes "
    "the whole sequence (cost model: first_pos 0, n_tokens t+1), so the total grows as O(S^2).";
const char* kBreakdownHelp =
    "The ops of the selected step (click a token or a step to choose; the last step otherwise), "
    "summed over layers: FLOPs, bytes read and written, FLOPs per byte, share of the step, and the "
    "measured time when the backend timed each op.";
const char* kIntensityHelp =
    "Arithmetic intensity = FLOPs / bytes moved. The prefill reuses each weight for every prompt "
    "token, so its intensity is high (compute-bound); a decode step reads every weight for a single "
    "token, about 1 FLOP per byte at f16/f32 (memory-bound).";

// Steps up to this count are drawn as separate bars; beyond, bars touch (a step is a pixel or two).
constexpr std::size_t kGapSteps = 120;

// A tick interval of 1, 2 or 5 times a power of ten that gives at most about ten labels.
double nice_step_interval(double last_step) {
    double interval = 1.0;
    while (last_step / interval > 10.0) {
        if (last_step / (interval * 2) <= 10.0) return interval * 2;
        if (last_step / (interval * 5) <= 10.0) return interval * 5;
        interval *= 10;
    }
    return interval;
}

QChartView* make_view(QChart* chart) {
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(220, 160);
    return view;
}

}  // namespace

ComputeView::ComputeView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);

    // FLOPs per step: bars drawn as the outline of two area series over a numeric step axis.
    // (A bar series needs a category per step, and laying out hundreds of categories made each
    // redraw of a long run take longer than the event loop may be held.)
    step_chart_ = new QChart;
    step_chart_->setTitle(tr("FLOPs per step"));
    auto make_bars = [this](const QString& name, QColor color) {
        auto* area = new QAreaSeries(new QLineSeries);
        area->upperSeries()->setParent(area);
        area->setName(name);
        area->setColor(color);
        area->setBorderColor(color.darker(120));
        step_chart_->addSeries(area);
        return area;
    };
    prefill_area_ = make_bars(tr("prefill"), QColor(214, 39, 40));
    decode_area_ = make_bars(tr("decode"), QColor(31, 119, 180));
    step_axis_x_ = new QValueAxis;
    step_axis_x_->setTitleText(tr("step (0 = prefill)"));
    step_axis_x_->setLabelFormat("%d");
    step_axis_x_->setTickType(QValueAxis::TicksDynamic);
    step_axis_x_->setTickAnchor(0.0);
    step_axis_y_ = new QValueAxis;
    step_chart_->addAxis(step_axis_x_, Qt::AlignBottom);
    step_chart_->addAxis(step_axis_y_, Qt::AlignLeft);
    for (QAreaSeries* a : {prefill_area_, decode_area_}) {
        a->attachAxis(step_axis_x_);
        a->attachAxis(step_axis_y_);
    }
    step_view_ = make_view(step_chart_);
    prefill_bars_ = std::make_unique<ColumnBars>(prefill_area_->upperSeries());
    decode_bars_ = std::make_unique<ColumnBars>(decode_area_->upperSeries());

    // Cumulative FLOPs with and without the cache.
    cumulative_chart_ = new QChart;
    cumulative_chart_->setTitle(tr("Cumulative FLOPs: with vs without KV cache"));
    cached_line_ = new QLineSeries;
    cached_line_->setName(tr("with cache (this run)"));
    cached_line_->setPen(QPen(QColor(31, 119, 180), 2.5));
    uncached_line_ = new QLineSeries;
    uncached_line_->setName(tr("without cache (recompute all)"));
    uncached_line_->setPen(QPen(QColor(214, 39, 40), 2, Qt::DashLine));
    cumulative_x_ = new QValueAxis;
    cumulative_x_->setTitleText(tr("sequence length (positions)"));
    cumulative_x_->setLabelFormat("%d");
    cumulative_y_ = new QValueAxis;
    cumulative_chart_->addAxis(cumulative_x_, Qt::AlignBottom);
    cumulative_chart_->addAxis(cumulative_y_, Qt::AlignLeft);
    for (QLineSeries* s : {cached_line_, uncached_line_}) {
        cumulative_chart_->addSeries(s);
        s->attachAxis(cumulative_x_);
        s->attachAxis(cumulative_y_);
    }
    cumulative_view_ = make_view(cumulative_chart_);
    cached_ = std::make_unique<DecimatedSeries>(cached_line_);
    uncached_ = std::make_unique<DecimatedSeries>(uncached_line_);

    // Arithmetic intensity.
    intensity_chart_ = new QChart;
    intensity_chart_->setTitle(tr("Arithmetic intensity (FLOPs per byte; decode: mean of its steps)"));
    intensity_set_ = new QBarSet(tr("FLOPs / byte"));
    intensity_set_->setColor(QColor(44, 160, 44));
    intensity_series_ = new QBarSeries;
    intensity_series_->append(intensity_set_);
    intensity_series_->setLabelsVisible(true);
    intensity_series_->setLabelsFormat("@value");
    intensity_series_->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    intensity_series_->setLabelsPrecision(3);
    intensity_chart_->addSeries(intensity_series_);
    intensity_x_ = new QBarCategoryAxis;
    intensity_x_->append({tr("prefill"), tr("decode")});
    intensity_y_ = new QValueAxis;
    intensity_y_->setTitleText(tr("FLOPs / byte"));
    intensity_chart_->addAxis(intensity_x_, Qt::AlignBottom);
    intensity_chart_->addAxis(intensity_y_, Qt::AlignLeft);
    intensity_series_->attachAxis(intensity_x_);
    intensity_series_->attachAxis(intensity_y_);
    intensity_chart_->legend()->setVisible(false);
    intensity_view_ = make_view(intensity_chart_);

    // Per-op breakdown.
    breakdown_ = new OpBreakdownModel(this);
    breakdown_table_ = new QTableView;
    breakdown_table_->setModel(breakdown_);
    breakdown_table_->verticalHeader()->setVisible(false);
    // Compact rows and the op names taking what the numbers leave, so that every column fits.
    breakdown_table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    breakdown_table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    breakdown_table_->horizontalHeader()->setStretchLastSection(false);
    breakdown_table_->verticalHeader()->setDefaultSectionSize(breakdown_table_->fontMetrics().height() + 6);
    breakdown_table_->setAlternatingRowColors(true);
    breakdown_title_ = new QLabel;
    auto* breakdown_panel = new QWidget;
    auto* breakdown_layout = new QVBoxLayout(breakdown_panel);
    breakdown_layout->setContentsMargins(0, 0, 0, 0);
    breakdown_layout->addWidget(breakdown_title_);
    breakdown_layout->addWidget(breakdown_table_, 1);

    auto* grid = new QGridLayout(this);
    grid->addWidget(with_help_label(step_view_, tr(kStepHelp), QStringLiteral("Compute")), 0, 0);
    grid->addWidget(with_help_label(cumulative_view_, tr(kCumulativeHelp), QStringLiteral("Compute")), 0, 1);
    grid->addWidget(with_help_label(breakdown_panel, tr(kBreakdownHelp), QStringLiteral("Compute")), 1, 0);
    grid->addWidget(with_help_label(intensity_view_, tr(kIntensityHelp), QStringLiteral("Compute")), 1, 1);

    connect(run_, &RunData::stepsAppended, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, this, [this] {
        resetSeries();
        redraw_->request();
    });
    connect(run_, &RunData::cleared, this, [this] {
        resetSeries();
        redraw_->request();
    });
    // A new plot size regroups the columns.
    for (QChart* chart : {step_chart_, cumulative_chart_})
        connect(chart, &QChart::plotAreaChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, &ComputeView::rebuildBreakdown);
    rebuild();
}

ComputeView::~ComputeView() = default;

void ComputeView::refreshNow() { redraw_->flush(); }

double ComputeView::stepBarFlops(int step) const {
    // What is drawn: the bar (or the pixel column of bars) that holds `step`.
    return std::max(prefill_bars_->drawnValue(step), decode_bars_->drawnValue(step));
}

qint64 ComputeView::pointsWritten() const {
    return prefill_bars_->pointsWritten() + decode_bars_->pointsWritten() + cached_->pointsWritten() +
           uncached_->pointsWritten();
}

void ComputeView::resetSeries() {
    costs_.clear();
    consumed_ = 0;
    prefill_bars_->clear();
    decode_bars_->clear();
    cached_->clear();
    uncached_->clear();
    sums_ = {};
}

void ComputeView::rebuild() {
    append_step_costs(*run_, costs_);
    if (costs_.size() < consumed_) resetSeries();
    // Only the steps that arrived since the last redraw are added.
    for (; consumed_ < costs_.size(); ++consumed_) {
        const StepCost& c = costs_[consumed_];
        (c.phase == Phase::Prefill ? *prefill_bars_ : *decode_bars_).append(c.step, c.flops);
        sums_.max_step = std::max(sums_.max_step, c.flops);
        sums_.cached += c.flops;
        sums_.uncached += c.uncached_flops;
        const double x = c.first_pos + c.n_positions;
        cached_->append(x, sums_.cached);
        uncached_->append(x, sums_.uncached);
        (c.phase == Phase::Prefill ? sums_.prefill_flops : sums_.decode_flops) += c.flops;
        (c.phase == Phase::Prefill ? sums_.prefill_bytes : sums_.decode_bytes) += c.bytes;
    }
    const std::vector<StepCost>& costs = costs_;

    // Per-step bars, one outline per phase: a bar per step while they are wider than a pixel
    // (apart while there are few), then a bar per column of two pixels.
    const AxisUnit step_unit = flop_unit_for(sums_.max_step);
    const double last_step = costs.empty() ? 1.0 : std::max(1.0, double(costs.back().step));
    // The step axis ends at a round step count so that it changes (and the chart is laid out
    // again) only now and then, not on every step.
    const double interval = nice_step_interval(last_step);
    const double axis_end = std::ceil(last_step / interval) * interval + 0.5;
    // Whichever goes first, range or interval, must not make a moment with hundreds of ticks
    // (each a label to lay out): a coarser interval goes before a longer range, a finer one after.
    const bool coarser = interval > step_axis_x_->tickInterval();
    if (coarser) step_axis_x_->setTickInterval(interval);
    if (step_axis_x_->max() != axis_end) step_axis_x_->setRange(-0.5, axis_end);
    if (!coarser && step_axis_x_->tickInterval() != interval) step_axis_x_->setTickInterval(interval);
    const int steps_per_column = int(std::floor(column_width(-0.5, axis_end, plot_pixels(step_chart_))));
    const bool gaps = costs.size() <= kGapSteps;
    for (ColumnBars* bars : {prefill_bars_.get(), decode_bars_.get()}) {
        bars->setLayout(steps_per_column, gaps);
        bars->sync(step_unit.scale);
    }
    set_nice_range(step_axis_y_, std::max(sums_.max_step / step_unit.scale * 1.05, 1.0));
    set_title_if_changed(step_axis_y_, step_unit.name);
    step_unit_ = step_unit;

    // Cumulative FLOPs against the sequence length each step reaches.
    const double sum_cached = sums_.cached, sum_uncached = sums_.uncached;
    const AxisUnit cum_unit = flop_unit_for(std::max(sum_cached, sum_uncached));
    set_nice_int_range(cumulative_x_, costs.empty() ? 1 : std::max(1, costs.back().first_pos + costs.back().n_positions));
    const double cum_width = column_width(0.0, cumulative_x_->max(), plot_pixels(cumulative_chart_));
    for (DecimatedSeries* line : {cached_.get(), uncached_.get()}) {
        line->setColumns(0.0, cum_width);
        line->sync(cum_unit.scale);
    }
    set_nice_range(cumulative_y_, std::max(std::max(sum_cached, sum_uncached) / cum_unit.scale * 1.05, 1.0));
    set_title_if_changed(cumulative_y_, cum_unit.name);
    set_title_if_changed(cumulative_chart_, !costs.empty() && sum_cached > 0
                                                ? tr("Cumulative FLOPs: without the cache %1x more")
                                                      .arg(sum_uncached / sum_cached, 0, 'f', 1)
                                                : tr("Cumulative FLOPs: with vs without KV cache"));

    // Intensity: prefill against the decode steps taken together.
    const double prefill_intensity = sums_.prefill_bytes > 0 ? sums_.prefill_flops / sums_.prefill_bytes : 0.0;
    const double decode_intensity = sums_.decode_bytes > 0 ? sums_.decode_flops / sums_.decode_bytes : 0.0;
    if (intensity_set_->count() != 2) {
        intensity_set_->remove(0, intensity_set_->count());
        intensity_set_->append({prefill_intensity, decode_intensity});
    } else {
        if (intensity_set_->at(0) != prefill_intensity) intensity_set_->replace(0, prefill_intensity);
        if (intensity_set_->at(1) != decode_intensity) intensity_set_->replace(1, decode_intensity);
    }
    set_nice_range(intensity_y_, std::max({prefill_intensity, decode_intensity, 1.0}) * 1.15);

    rebuildBreakdown();
}

void ComputeView::rebuildBreakdown() {
    const auto& steps = run_->steps();
    int step = run_->selectedStep();
    if (step < 0 && !steps.empty()) step = steps.back().step;
    const auto& all = run_->opCosts();
    breakdown_step_ = step;
    if (step < 0 || step >= int(all.size()) || all[std::size_t(step)].empty()) {
        breakdown_->setOps({});
        breakdown_title_->setText(step < 0 ? tr("Ops of a step: no step yet")
                                           : tr("Step %1 reported no op costs").arg(step));
        return;
    }
    breakdown_->setOps(op_totals(all[std::size_t(step)]));
    double flops = 0;
    for (const auto& o : breakdown_->ops()) flops += o.flops;
    const bool prefill = step < int(steps.size()) && steps[std::size_t(step)].phase == Phase::Prefill;
    breakdown_title_->setText(tr("Ops of step %1 (%2): %3").arg(step).arg(prefill ? tr("prefill") : tr("decode"))
                                  .arg(human_flops(flops)));
}

}  // namespace kvs::ui
