#pragma once
// What is actually in the cache: K and V of one layer and KV head as heatmaps, positions down,
// head_dim across, with the cache's logical shape [batch, kv_heads, seq, head_dim] spelled out.
// The data arrives by value (setSnapshot) after the view asks for it (snapshotRequested); the
// view never touches the engine.
#include <QWidget>

#include "kv_snapshot.h"

class QLabel;
class QSpinBox;

namespace kvs::ui {

class RunData;
class RedrawCoalescer;
class ValueHeatmap;

class CacheInspectorView : public QWidget {
    Q_OBJECT
public:
    explicit CacheInspectorView(RunData* run, QWidget* parent = nullptr);

    int layer() const;
    int kvHead() const;
    ValueHeatmap* keysHeatmap() const { return keys_; }
    ValueHeatmap* valuesHeatmap() const { return values_; }
    QString shapeText() const;
    const KvSnapshot& snapshot() const { return snapshot_; }

public slots:
    void setSnapshot(const kvs::ui::KvSnapshot& snapshot);
    // Asks for the chosen layer and KV head now.
    void requestSnapshot();
    // Chooses a layer and KV head and asks for them.
    void showLayerHead(int layer, int kv_head);

signals:
    void snapshotRequested(int layer, int kv_head, int sequence);

private:
    void onRunChanged();
    void onSelectionChanged();
    void updateShapeLabel();
    void showSnapshot();  // the snapshot as far as the selected step reached

    RunData* run_;
    RedrawCoalescer* request_;
    QSpinBox* layer_box_;
    QSpinBox* head_box_;
    QLabel* shape_label_;
    ValueHeatmap* keys_;
    ValueHeatmap* values_;
    KvSnapshot snapshot_;
    int shown_rows_ = 0;
};

}  // namespace kvs::ui
