#include "views/compute_view.h"

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
#include <QStackedBarSeries>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "run_data.h"
#include "views/axis_units.h"
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

QChartView* make_view(QChart* chart) {
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(280, 200);
    return view;
}

}  // namespace

ComputeView::ComputeView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);

    // FLOPs per step.
    step_chart_ = new QChart;
    step_chart_->setTitle(tr("FLOPs per step"));
    prefill_set_ = new QBarSet(tr("prefill"));
    prefill_set_->setColor(QColor(214, 39, 40));
    decode_set_ = new QBarSet(tr("decode"));
    decode_set_->setColor(QColor(31, 119, 180));
    step_series_ = new QStackedBarSeries;
    step_series_->append(prefill_set_);
    step_series_->append(decode_set_);
    step_series_->setBarWidth(0.9);
    step_chart_->addSeries(step_series_);
    step_axis_x_ = new QBarCategoryAxis;
    step_axis_x_->setTitleText(tr("step"));
    step_axis_y_ = new QValueAxis;
    step_chart_->addAxis(step_axis_x_, Qt::AlignBottom);
    step_chart_->addAxis(step_axis_y_, Qt::AlignLeft);
    step_series_->attachAxis(step_axis_x_);
    step_series_->attachAxis(step_axis_y_);
    step_view_ = make_view(step_chart_);

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

    // Arithmetic intensity.
    intensity_chart_ = new QChart;
    intensity_chart_->setTitle(tr("Arithmetic intensity (FLOPs per byte)"));
    intensity_set_ = new QBarSet(tr("FLOPs / byte"));
    intensity_set_->setColor(QColor(44, 160, 44));
    intensity_series_ = new QBarSeries;
    intensity_series_->append(intensity_set_);
    intensity_series_->setLabelsVisible(true);
    intensity_series_->setLabelsFormat("@value");
    intensity_series_->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    intensity_chart_->addSeries(intensity_series_);
    intensity_x_ = new QBarCategoryAxis;
    intensity_x_->append({tr("prefill"), tr("decode (mean)")});
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
    breakdown_table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    breakdown_table_->horizontalHeader()->setStretchLastSection(true);
    breakdown_table_->setAlternatingRowColors(true);
    breakdown_title_ = new QLabel;
    auto* breakdown_panel = new QWidget;
    auto* breakdown_layout = new QVBoxLayout(breakdown_panel);
    breakdown_layout->setContentsMargins(0, 0, 0, 0);
    breakdown_layout->addWidget(breakdown_title_);
    breakdown_layout->addWidget(breakdown_table_, 1);

    auto* grid = new QGridLayout(this);
    grid->addWidget(framed(step_view_, tr(kStepHelp)), 0, 0);
    grid->addWidget(framed(cumulative_view_, tr(kCumulativeHelp)), 0, 1);
    grid->addWidget(framed(breakdown_panel, tr(kBreakdownHelp)), 1, 0);
    grid->addWidget(framed(intensity_view_, tr(kIntensityHelp)), 1, 1);

    connect(run_, &RunData::stepsAppended, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::cleared, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, &ComputeView::rebuildBreakdown);
    rebuild();
}

QWidget* ComputeView::framed(QWidget* content, const QString& help) {
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(content, 1);
    layout->addWidget(make_help_label(help, box, content), 0, Qt::AlignTop);
    return box;
}

void ComputeView::refreshNow() { redraw_->flush(); }

void ComputeView::rebuild() {
    const std::vector<StepCost> costs = step_costs(*run_);

    // Per-step bars: a step's FLOPs go into the set of its phase, zero in the other.
    double max_step = 0.0;
    for (const auto& c : costs) max_step = std::max(max_step, c.flops);
    const AxisUnit step_unit = flop_unit_for(max_step);
    QList<qreal> prefill, decode;
    QStringList categories;
    for (const auto& c : costs) {
        const bool is_prefill = c.phase == Phase::Prefill;
        prefill.append(is_prefill ? c.flops / step_unit.scale : 0.0);
        decode.append(is_prefill ? 0.0 : c.flops / step_unit.scale);
        categories.append(QString::number(c.step));
    }
    prefill_set_->remove(0, prefill_set_->count());
    decode_set_->remove(0, decode_set_->count());
    prefill_set_->append(prefill);
    decode_set_->append(decode);
    step_axis_x_->clear();
    step_axis_x_->append(categories);
    // Hundreds of step numbers overlap: show them only while they fit.
    step_axis_x_->setLabelsVisible(categories.size() <= 40);
    step_axis_x_->setTitleText(categories.size() <= 40 ? tr("step")
                                                       : tr("step (0 to %1)").arg(categories.size() - 1));
    step_axis_y_->setRange(0, std::max(max_step / step_unit.scale * 1.05, 1e-9));
    step_axis_y_->applyNiceNumbers();
    step_axis_y_->setTitleText(step_unit.name);

    // Cumulative FLOPs against the sequence length each step reaches.
    QList<QPointF> cached, uncached;
    double sum_cached = 0.0, sum_uncached = 0.0;
    for (const auto& c : costs) {
        sum_cached += c.flops;
        sum_uncached += c.uncached_flops;
        const double x = c.first_pos + c.n_positions;
        cached.append({x, sum_cached});
        uncached.append({x, sum_uncached});
    }
    const AxisUnit cum_unit = flop_unit_for(std::max(sum_cached, sum_uncached));
    for (auto* list : {&cached, &uncached})
        for (QPointF& pt : *list) pt.setY(pt.y() / cum_unit.scale);
    cached_line_->replace(cached);
    uncached_line_->replace(uncached);
    cumulative_x_->setRange(0, cached.isEmpty() ? 1.0 : std::max(1.0, cached.back().x()));
    cumulative_y_->setRange(0, std::max(std::max(sum_cached, sum_uncached) / cum_unit.scale * 1.05, 1e-9));
    cumulative_x_->applyNiceNumbers();
    cumulative_y_->applyNiceNumbers();
    cumulative_y_->setTitleText(cum_unit.name);
    if (!costs.empty() && sum_cached > 0)
        cumulative_chart_->setTitle(tr("Cumulative FLOPs: without the cache %1x more")
                                        .arg(sum_uncached / sum_cached, 0, 'f', 1));

    // Intensity: prefill against the decode steps taken together.
    double pf = 0, pb = 0, df = 0, db = 0;
    for (const auto& c : costs) {
        (c.phase == Phase::Prefill ? pf : df) += c.flops;
        (c.phase == Phase::Prefill ? pb : db) += c.bytes;
    }
    const double prefill_intensity = pb > 0 ? pf / pb : 0.0;
    const double decode_intensity = db > 0 ? df / db : 0.0;
    intensity_set_->remove(0, intensity_set_->count());
    intensity_set_->append({prefill_intensity, decode_intensity});
    intensity_y_->setRange(0, std::max({prefill_intensity, decode_intensity, 1.0}) * 1.15);
    intensity_y_->applyNiceNumbers();
    intensity_series_->setLabelsPrecision(3);

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
