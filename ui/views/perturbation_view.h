#pragma once
// "Why only K and V": the perturbation experiment on the current run's tokens. Change the token
// at a position (or zero one layer's FFN output or Q there) and see, for every layer and op,
// which positions' activations moved: nothing before the position ever does, which is why the K
// and V already cached for earlier positions stay valid. The engine thread runs it
// (EngineController::requestPerturbation) on a CPU backend of its own.
#include <QWidget>

#include "experiment_results.h"

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace kvs::ui {

class PerturbationGrid;
class RunData;

class PerturbationView : public QWidget {
    Q_OBJECT
public:
    explicit PerturbationView(RunData* run, QWidget* parent = nullptr);

    PerturbationGrid* grid() const { return grid_; }
    // Sets the controls (as the user would) and asks for the experiment.
    void runExperiment(int position, int zero_layer = -1);
    QString summary() const;

public slots:
    void setResult(const kvs::ui::PerturbationResult& result);
    void setLayers(int layers);

signals:
    // zero_op empty: the token at `position` is replaced; else that op of zero_layer is zeroed there.
    void experimentRequested(int position, int zero_layer, const QString& zero_op);

private:
    void request();
    void updateControls();

    RunData* run_;
    QComboBox* kind_;
    QSpinBox* layer_;
    QSpinBox* position_;
    QPushButton* run_button_;
    QLabel* summary_;
    PerturbationGrid* grid_;
};

}  // namespace kvs::ui
