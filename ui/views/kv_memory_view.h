#pragma once
// KV cache memory against position: the measured total (and stacked per layer), the formula
// 2·L·kv_heads·head_dim·pos·bytes as a dashed line, and the allocated capacity. A second chart,
// behind a toggle, projects the same formula for real models from the presets.
#include <QWidget>
#include <cstdint>
#include <memory>
#include <vector>

#include "views/axis_units.h"
#include "views/kv_position_sampler.h"

class QAreaSeries;
class QChart;
class QChartView;
class QCheckBox;
class QComboBox;
class QLineSeries;
class QListWidget;
class QValueAxis;

namespace kvs::ui {

class RunData;
class RedrawCoalescer;
class DecimatedSeries;

class KvMemoryView : public QWidget {
    Q_OBJECT
public:
    explicit KvMemoryView(RunData* run, QWidget* parent = nullptr);
    ~KvMemoryView() override;

    // Rebuilds the charts now instead of at the next coalesced redraw.
    void refreshNow();

    QChart* chart() const { return chart_; }
    QChartView* chartView() const { return chart_view_; }
    QChartView* projectionView() const { return projection_view_; }
    QLineSeries* totalSeries() const { return total_; }
    QLineSeries* formulaSeries() const { return formula_; }
    QLineSeries* capacitySeries() const { return capacity_; }
    // The marker of the selected step: a vertical line at its cache length (empty without one).
    QLineSeries* selectionSeries() const { return selection_; }
    int layerAreaCount() const { return int(layer_areas_.size()); }
    AxisUnit byteUnit() const { return unit_; }
    void setStackedLayers(bool on);
    // The vertical axis reaches the allocated capacity (off: it fits the run's bytes).
    void setScaledToCapacity(bool on);
    QValueAxis* bytesAxis() const { return axis_y_; }
    void setProjectionsVisible(bool on);
    bool projectionsVisible() const;
    bool stackedLayers() const;
    // Preset names currently projected.
    QStringList projectedPresets() const;
    // Points handed to the chart so far (the work of the refreshes; see SeriesTail).
    qint64 pointsWritten() const;
    // Points the main chart holds now, over all its series.
    int pointsShown() const;

private:
    void rebuild();
    void resetSamples();
    void addSamples(const std::vector<KvPositionSample>& samples);
    void updateLayerAreas();
    void rebuildProjections();
    void updateSelectionMarker();

    RunData* run_;
    RedrawCoalescer* redraw_;
    QChart* chart_;
    QChartView* chart_view_;
    QValueAxis* axis_x_;
    QValueAxis* axis_y_;
    QLineSeries* total_;
    QLineSeries* formula_;
    QLineSeries* capacity_;
    QLineSeries* selection_;
    std::vector<QAreaSeries*> layer_areas_;
    // The chart's lines, fed one sample per position and decimated to the plot's pixels; the
    // layer bands (lower and upper edge of each) exist while the layers are stacked.
    KvPositionSampler sampler_;
    std::unique_ptr<DecimatedSeries> total_line_, formula_line_;
    std::vector<std::unique_ptr<DecimatedSeries>> band_lower_, band_upper_;
    int n_layers_ = 0;
    int last_pos_ = 0;
    double max_bytes_ = 0.0;
    QCheckBox* stacked_box_;
    QCheckBox* capacity_box_;
    QCheckBox* projection_box_;
    QComboBox* projection_dtype_;
    QListWidget* preset_list_;
    QWidget* projection_panel_;
    QChart* projection_chart_;
    QChartView* projection_view_;
    AxisUnit unit_;
};

}  // namespace kvs::ui
