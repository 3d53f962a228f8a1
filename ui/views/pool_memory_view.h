#pragma once
// KV memory of the whole pool over the run, one point per forward pass, as the allocator counts
// it: bytes held by blocks (measured), the formula for the sequences' positions, the waste (the
// unfilled tails of last blocks), what sharing saves, blocks kept for the prefix cache, and each
// sequence's own blocks. Lines take a point per pass and are decimated to the plot's pixels.
#include <QWidget>
#include <memory>
#include <vector>

#include "views/axis_units.h"

class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace kvs::ui {

class DecimatedSeries;
class RedrawCoalescer;
class RunData;

class PoolMemoryView : public QWidget {
    Q_OBJECT
public:
    explicit PoolMemoryView(RunData* run, QWidget* parent = nullptr);
    ~PoolMemoryView() override;

    void refreshNow();
    QChart* chart() const { return chart_; }
    QChartView* chartView() const { return view_; }
    QLineSeries* heldSeries() const { return held_; }
    QLineSeries* formulaSeries() const { return formula_; }
    QLineSeries* wasteSeries() const { return waste_; }
    QLineSeries* sharedSeries() const { return shared_; }
    // The line of sequence `id` (null before it has a point).
    QLineSeries* sequenceSeries(int id) const;
    AxisUnit byteUnit() const { return unit_; }
    qint64 pointsWritten() const;

private:
    void reset();
    void rebuild();
    std::vector<DecimatedSeries*> lines() const;  // the pool's lines (not the sequences')

    RunData* run_;
    RedrawCoalescer* redraw_;
    QChart* chart_;
    QChartView* view_;
    QValueAxis* axis_x_;
    QValueAxis* axis_y_;
    QLineSeries* held_;
    QLineSeries* formula_;
    QLineSeries* waste_;
    QLineSeries* shared_;
    QLineSeries* cached_;
    std::unique_ptr<DecimatedSeries> held_line_, formula_line_, waste_line_, shared_line_, cached_line_;
    struct SequenceLine {
        int id = 0;
        QLineSeries* series = nullptr;
        std::unique_ptr<DecimatedSeries> line;
    };
    std::vector<SequenceLine> sequences_;
    std::size_t points_read_ = 0;
    double max_bytes_ = 0.0;
    AxisUnit unit_;
};

}  // namespace kvs::ui
