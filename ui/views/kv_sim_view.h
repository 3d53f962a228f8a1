#pragma once
// The allocation simulator (engine/kv/kv_sim.h) in the app: a model shape from the presets, a KV
// memory, a request stream (length distributions, a shared prefix per group), and the memory
// shares of every strategy: contiguous reservation (max-length, power-of-two, exact) against
// paged blocks of several sizes and paged with prefix sharing, as a table and stacked bars.
// The simulation runs on its own thread; the view shows the last finished one.
#include <QWidget>
#include <vector>

#include "kv/kv_sim.h"

class QBarCategoryAxis;
class QChart;
class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace kvs::ui {

class KvSimView : public QWidget {
    Q_OBJECT
public:
    explicit KvSimView(QWidget* parent = nullptr);
    ~KvSimView() override;

    // Starts a simulation with the form's settings (the previous one is dropped when it ends).
    void runSimulation();
    bool running() const { return running_; }
    const std::vector<kvs::SimResult>& results() const { return results_; }
    QTableWidget* table() const { return table_; }
    QChart* chart() const { return chart_; }
    QLabel* status() const { return status_; }
    bool selectPreset(const QString& name);
    void setMemoryGiB(double gib);
    void setMaxLength(int positions);
    void setRequests(int n);

signals:
    void finished();  // results() holds a new simulation (or status() an error)

private:
    void showResults(const std::vector<kvs::SimResult>& results, const QString& error, const QString& summary);

    QComboBox* preset_;
    QComboBox* dtype_;
    QDoubleSpinBox* memory_;
    QSpinBox* max_length_;
    QSpinBox* requests_;
    QLineEdit* prompt_len_;
    QLineEdit* output_len_;
    QSpinBox* shared_prefix_;
    QSpinBox* groups_;
    QLineEdit* block_sizes_;
    QPushButton* run_;
    QLabel* status_;
    QTableWidget* table_;
    QChart* chart_;
    QChartView* chart_view_;
    std::vector<kvs::SimResult> results_;
    bool running_ = false;
    int generation_ = 0;
};

}  // namespace kvs::ui
