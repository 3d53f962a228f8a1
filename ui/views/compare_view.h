#pragma once
// Two runs of one prompt side by side (docs/VIEWS.md "Compare", docs/DEBUGGER.md "Comparing two
// runs"): the settings of run A and run B (backend, cache or none, sampling), the two token
// streams with the first divergence highlighted, both distributions at that step, and the logit
// difference at every step as a chart and a table. The view asks for a comparison with
// compareRequested; the engine thread runs it and the result comes back to setComparison.
#include <QWidget>

#include "engine_types.h"
#include "session/run_comparison.h"

class QBarCategoryAxis;
class QBarSet;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QPushButton;
class QSpinBox;
class QTableView;
class QTextBrowser;
class QValueAxis;

namespace kvs::ui {

class CompareSideForm;
class ComparisonStepModel;

class CompareView : public QWidget {
    Q_OBJECT
public:
    // What the difference chart plots (docs/DEBUGGER.md defines each).
    enum class Metric { MaxAbsLogit, Kl, TotalVariation };

    explicit CompareView(QWidget* parent = nullptr);

    CompareSettings settings() const;
    void setSettings(const CompareSettings& settings);
    void setMetric(Metric metric);
    // The distributions shown: the model's (temperature 1), or what each sampler drew from
    // (after temperature, top-k and top-p).
    void setShowSampled(bool sampled);

    bool hasComparison() const { return has_comparison_; }
    const kvs::RunComparison& comparison() const { return comparison_; }
    QLabel* summaryLabel() const { return summary_; }
    QTextBrowser* streamA() const { return stream_a_; }
    QTextBrowser* streamB() const { return stream_b_; }
    QChartView* distributionChartView() const { return distribution_view_; }
    QChartView* differenceChartView() const { return difference_view_; }
    QBarSet* distributionA() const { return bars_a_; }
    QBarSet* distributionB() const { return bars_b_; }
    QBarCategoryAxis* distributionTokens() const { return bar_tokens_; }
    QLineSeries* sameContextSeries() const { return before_; }
    QLineSeries* afterDivergenceSeries() const { return after_; }
    QLineSeries* divergenceMarker() const { return marker_; }
    ComparisonStepModel* stepModel() const { return steps_; }
    QPushButton* compareButton() const { return compare_; }

public slots:
    void setComparison(const kvs::RunComparison& comparison);
    // The loaded model's prompt, unless the user typed another one.
    void setDefaultPrompt(const QString& prompt);
    // The engine is working: Compare waits.
    void setBusy(bool busy);
    // Steps recorded so far by run `run` (0 = A, 1 = B) of `total`, shown while the runs go on.
    void setProgress(int run, int steps, int total);
    // Asks for a comparison with the current settings.
    void requestComparison();

signals:
    void compareRequested(const kvs::ui::CompareSettings& settings);
    // The Compare button while a comparison runs (it reads Cancel then).
    void cancelRequested();

private:
    void showStreams();
    void showDistributions();
    void showDifferences();
    QString streamHtml(bool side_b) const;

    kvs::RunComparison comparison_;
    bool has_comparison_ = false;
    QString compared_prompt_;  // the prompt of the comparison shown
    QString default_prompt_;
    Metric metric_ = Metric::MaxAbsLogit;
    bool show_sampled_ = false;

    CompareSideForm* side_a_;
    CompareSideForm* side_b_;
    QLineEdit* prompt_;
    QSpinBox* steps_spin_;
    QPushButton* compare_;
    // A comparison asked for and not yet answered by a result or by the engine going idle.
    bool comparing_ = false;
    bool answered_ = false;
    void finishComparing();
    QLabel* summary_;
    QLabel* title_a_;
    QLabel* title_b_;
    QTextBrowser* stream_a_;
    QTextBrowser* stream_b_;
    QChart* distribution_chart_;
    QChartView* distribution_view_;
    QBarSet* bars_a_;
    QBarSet* bars_b_;
    QBarCategoryAxis* bar_tokens_;
    QValueAxis* bar_values_;
    QComboBox* distribution_box_;
    QComboBox* metric_box_;
    QChart* difference_chart_;
    QChartView* difference_view_;
    QLineSeries* before_;
    QLineSeries* after_;
    QLineSeries* marker_;
    QValueAxis* step_axis_;
    QValueAxis* value_axis_;
    ComparisonStepModel* steps_;
    QTableView* table_;
};

}  // namespace kvs::ui
