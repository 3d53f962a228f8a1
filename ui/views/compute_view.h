#pragma once
// Where the FLOPs go: each step's FLOPs (the prefill bar against the decode bars), cumulative
// FLOPs with and without the KV cache (O(S) against O(S^2)), the ops of the selected step with
// measured times when present, and the arithmetic intensity of prefill against decode.
#include <QWidget>

#include <memory>
#include <vector>

#include "views/axis_units.h"
#include "views/step_costs.h"

class QAreaSeries;
class QBarCategoryAxis;
class QBarSet;
class QChart;
class QChartView;
class QLabel;
class QLineSeries;
class QBarSeries;
class QTableView;
class QValueAxis;

namespace kvs::ui {

class RunData;
class RedrawCoalescer;
class OpBreakdownModel;
class ColumnBars;
class DecimatedSeries;

class ComputeView : public QWidget {
    Q_OBJECT
public:
    explicit ComputeView(RunData* run, QWidget* parent = nullptr);
    ~ComputeView() override;

    void refreshNow();
    QChartView* stepChartView() const { return step_view_; }
    QChartView* cumulativeChartView() const { return cumulative_view_; }
    QChartView* intensityChartView() const { return intensity_view_; }
    QLineSeries* cachedCumulative() const { return cached_line_; }
    QLineSeries* uncachedCumulative() const { return uncached_line_; }
    // The per-step bars: one area series per phase, outlines of bars over a numeric step axis.
    QAreaSeries* prefillBars() const { return prefill_area_; }
    QAreaSeries* decodeBars() const { return decode_area_; }
    // The height of the bar drawn for `step`, in FLOPs (0 when there is none).
    double stepBarFlops(int step) const;
    QBarSet* intensityBars() const { return intensity_set_; }
    OpBreakdownModel* breakdownModel() const { return breakdown_; }
    // The step the breakdown shows: the selected one, else the last.
    int breakdownStep() const { return breakdown_step_; }
    // Points handed to the charts so far (the work of the refreshes; see SeriesTail).
    qint64 pointsWritten() const;

private:
    void rebuild();
    void resetSeries();
    void rebuildBreakdown();

    RunData* run_;
    RedrawCoalescer* redraw_;
    QChart* step_chart_;
    QChartView* step_view_;
    QAreaSeries* prefill_area_;
    QAreaSeries* decode_area_;
    QValueAxis* step_axis_x_;
    AxisUnit step_unit_;
    std::vector<StepCost> costs_;  // of the steps so far, extended as steps arrive
    std::size_t consumed_ = 0;     // costs_ already added to the charts
    struct Sums {
        double max_step = 0.0, cached = 0.0, uncached = 0.0;
        double prefill_flops = 0.0, prefill_bytes = 0.0, decode_flops = 0.0, decode_bytes = 0.0;
    } sums_;
    std::unique_ptr<ColumnBars> prefill_bars_, decode_bars_;
    std::unique_ptr<DecimatedSeries> cached_, uncached_;
    QValueAxis* step_axis_y_;
    QChart* cumulative_chart_;
    QChartView* cumulative_view_;
    QLineSeries* cached_line_;
    QLineSeries* uncached_line_;
    QValueAxis* cumulative_x_;
    QValueAxis* cumulative_y_;
    QChart* intensity_chart_;
    QChartView* intensity_view_;
    QBarSeries* intensity_series_;
    QBarSet* intensity_set_;
    QBarCategoryAxis* intensity_x_;
    QValueAxis* intensity_y_;
    OpBreakdownModel* breakdown_;
    QTableView* breakdown_table_;
    QLabel* breakdown_title_;
    int breakdown_step_ = -1;
};

}  // namespace kvs::ui
