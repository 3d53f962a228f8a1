#pragma once
// KV cache memory against position: the measured total (and stacked per layer), the formula
// 2·L·kv_heads·head_dim·pos·bytes as a dashed line, and the allocated capacity. A second chart,
// behind a toggle, projects the same formula for real models from the presets.
#include <QWidget>
#include <cstdint>
#include <vector>

#include "views/axis_units.h"

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

// The cache after `position` positions are stored: total bytes and bytes of each layer.
struct KvPositionSample {
    int position = 0;
    double total_bytes = 0.0;
    std::vector<double> layer_bytes;
};

// One sample per position 1..N. A prefill writes its positions in one step; the bytes of the
// positions inside it are spread evenly (every position of a layer takes the same bytes).
std::vector<KvPositionSample> kv_samples_per_position(const RunData& run);

class KvMemoryView : public QWidget {
    Q_OBJECT
public:
    explicit KvMemoryView(RunData* run, QWidget* parent = nullptr);

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
    // Preset names currently projected.
    QStringList projectedPresets() const;

private:
    void rebuild();
    void rebuildLayerAreas(const std::vector<KvPositionSample>& samples);
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
