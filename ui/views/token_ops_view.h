#pragma once
// "Ops of one token": the selected step taken apart op by op, in the order the forward pass
// runs them (embedding; per layer norm, Q/K/V projection, RoPE, cache write, scores, softmax,
// values, output projection, residual, FFN; final norm, classifier). Each op shows what it
// reads from and writes to its layer's KV cache (the new K and V rows appended, the new query
// against every cached key), its FLOPs and bytes, and why. Previous / Next (Left / Right) walk
// through the ops; Play walks on its own at a pace a class can follow.
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;
class QTimer;

namespace kvs::ui {

class RunData;
class CacheAccessDiagram;

class TokenOpsView : public QWidget {
    Q_OBJECT
public:
    explicit TokenOpsView(RunData* run, QWidget* parent = nullptr);

    // The step shown (the selected one, else the latest), -1 before the first.
    int shownStep() const { return step_; }
    int opCount() const;
    int currentOp() const;
    void setCurrentOp(int index);
    void nextOp();
    void previousOp();
    CacheAccessDiagram* diagram() const { return diagram_; }
    QString explanation() const;
    static constexpr int kPlayIntervalMs = 1200;

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void reload();
    void showOp();

    RunData* run_;
    QListWidget* ops_;
    CacheAccessDiagram* diagram_;
    QLabel* title_;
    QLabel* details_;
    QPushButton* play_;
    QTimer* play_timer_;
    int step_ = -1;
};

}  // namespace kvs::ui
