#pragma once
// The logit lens of the selected step, in the Debugger tab: for the residual stream after the
// embedding and after each layer, the tokens it would predict through the model's final norm and
// classifier, its entropy, and where the model's final choice ranks there. The last layer's row is
// the model's own distribution.
#include <QGroupBox>

#include "experiment_results.h"

class QLabel;
class QPushButton;
class QTreeWidget;

namespace kvs::ui {

class LogitLensBox : public QGroupBox {
    Q_OBJECT
public:
    explicit LogitLensBox(QWidget* parent = nullptr);

    QTreeWidget* table() const { return table_; }
    // The step the button asks about (-1: none selected).
    void setStep(int step);
    int shownStep() const { return shown_; }

public slots:
    void setResult(const kvs::ui::LogitLensResult& result);
    void clear();

signals:
    void lensRequested(int step);

private:
    QLabel* title_;
    QPushButton* show_;
    QTreeWidget* table_;
    int step_ = -1;
    int shown_ = -1;
};

}  // namespace kvs::ui
