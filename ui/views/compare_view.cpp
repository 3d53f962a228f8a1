#include "views/compare_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "views/axis_units.h"
#include "views/compare_side_form.h"
#include "views/comparison_step_model.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {

const char* kHelp =
    "Runs the prompt twice, with the settings of run A and of run B, and sets the runs side by side: "
    "the KV cache against none (every step recomputes the whole sequence), two sampling settings, the "
    "CPU against Vulkan. The first step at which the two runs chose different tokens is highlighted in "
    "both texts; up to it both runs saw the same tokens, after it they continue from different texts.";
const char* kDistributionHelp =
    "Both runs' distributions at the first divergence, or, when the runs never diverge, at the step "
    "where their logits differ most: the model's own (temperature 1, before any sampling filter), or "
    "what each sampler drew from (after temperature, top-k and top-p; greedy: the argmax alone). The "
    "most likely tokens of either run; a bar of 0 is a token outside that run's list.";
const char* kDifferenceHelp =
    "How far apart the two runs' logits are at every step both made. max |Δlogit| = max_i |a_i - b_i|; "
    "KL(A‖B) = Σ p_i ln(p_i / q_i) in nats and TV = ½ Σ |p_i - q_i| with p, q the softmax of the logits "
    "at temperature 1. Solid: both runs had seen the same tokens; dashed: after the divergence, when "
    "the differences also measure two different texts. The red line marks the first divergence.";

const QColor kColorA(31, 119, 180);
const QColor kColorB(255, 127, 14);
const QColor kDivergence(214, 39, 40);

QChartView* make_view(QChart* chart) {
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(220, 150);
    return view;
}

double metric_value(const kvs::StepDifference& d, CompareView::Metric m) {
    switch (m) {
        case CompareView::Metric::Kl: return d.kl;
        case CompareView::Metric::TotalVariation: return d.total_variation;
        default: return d.max_abs_logit;
    }
}

QString piece_html(const std::string& text, const std::string& label) {
    // A token that adds no text (a stop token) shows its label.
    const QString shown = text.empty() ? QStringLiteral("[%1]").arg(QString::fromStdString(label))
                                       : QString::fromStdString(text);
    return shown.toHtmlEscaped();
}

}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    side_a_ = new CompareSideForm(tr("Run A"));
    side_b_ = new CompareSideForm(tr("Run B"));
    prompt_ = new QLineEdit;
    prompt_->setPlaceholderText(tr("prompt"));
    steps_spin_ = new QSpinBox;
    steps_spin_->setRange(1, 1024);
    steps_spin_->setSuffix(tr(" tokens"));
    compare_ = new QPushButton;
    auto* request = new QWidget;
    auto* request_layout = new QGridLayout(request);
    request_layout->setContentsMargins(0, 0, 0, 0);
    request_layout->addWidget(prompt_, 0, 0, 1, 2);
    request_layout->addWidget(steps_spin_, 1, 0);
    request_layout->addWidget(compare_, 1, 1);
    auto* controls = new QHBoxLayout;
    controls->addWidget(side_a_);
    controls->addWidget(side_b_);
    controls->addWidget(request, 1);
    controls->addWidget(make_help_label(tr(kHelp), this, nullptr, QStringLiteral("Compare")), 0, Qt::AlignTop);

    summary_ = new QLabel(tr("Set the two runs and press Compare."));
    summary_->setWordWrap(true);
    summary_->setTextFormat(Qt::RichText);

    auto make_stream = [](QLabel*& title, QTextBrowser*& stream, const QColor& color) {
        auto* box = new QWidget;
        auto* layout = new QVBoxLayout(box);
        layout->setContentsMargins(0, 0, 0, 0);
        title = new QLabel;
        title->setStyleSheet(QStringLiteral("font-weight: bold; color: %1").arg(color.name()));
        stream = new QTextBrowser;
        stream->setOpenLinks(false);
        stream->setMinimumHeight(48);  // a few lines; the charts take what is left
        layout->addWidget(title);
        layout->addWidget(stream, 1);
        return box;
    };
    auto* streams = new QSplitter(Qt::Horizontal);
    streams->addWidget(make_stream(title_a_, stream_a_, kColorA));
    streams->addWidget(make_stream(title_b_, stream_b_, kColorB));

    // Both distributions at the divergence: horizontal bars, the most likely token on top.
    distribution_chart_ = new QChart;
    bars_a_ = new QBarSet(tr("A"));
    bars_a_->setColor(kColorA);
    bars_b_ = new QBarSet(tr("B"));
    bars_b_->setColor(kColorB);
    auto* bars = new QHorizontalBarSeries;
    bars->append(bars_a_);
    bars->append(bars_b_);
    distribution_chart_->addSeries(bars);
    bar_tokens_ = new QBarCategoryAxis;
    bar_values_ = new QValueAxis;
    bar_values_->setRange(0.0, 1.0);
    bar_values_->setTitleText(tr("probability"));
    distribution_chart_->addAxis(bar_tokens_, Qt::AlignLeft);
    distribution_chart_->addAxis(bar_values_, Qt::AlignBottom);
    bars->attachAxis(bar_tokens_);
    bars->attachAxis(bar_values_);
    distribution_view_ = make_view(distribution_chart_);
    distribution_chart_->setMargins(QMargins(4, 4, 4, 4));
    distribution_box_ = new QComboBox;
    distribution_box_->addItem(tr("the model's (temperature 1)"));
    distribution_box_->addItem(tr("what each sampler drew from"));
    mark_as_control(distribution_box_);
    connect(distribution_box_, &QComboBox::currentIndexChanged, this, [this](int i) { setShowSampled(i == 1); });
    auto* distribution_panel = new QWidget;
    auto* distribution_layout = new QVBoxLayout(distribution_panel);
    distribution_layout->setContentsMargins(0, 0, 0, 0);
    distribution_layout->addWidget(distribution_box_, 0, Qt::AlignLeft);
    distribution_layout->addWidget(distribution_view_, 1);

    // The difference at every step.
    difference_chart_ = new QChart;
    before_ = new QLineSeries;
    before_->setName(tr("same tokens so far"));
    before_->setPen(QPen(kColorA, 2.5));
    after_ = new QLineSeries;
    after_->setName(tr("after the divergence"));
    after_->setPen(QPen(QColor(127, 127, 127), 2, Qt::DashLine));
    marker_ = new QLineSeries;
    marker_->setPen(QPen(kDivergence, 2));
    step_axis_ = new QValueAxis;
    step_axis_->setTitleText(tr("step (0 = prefill)"));
    step_axis_->setLabelFormat("%d");
    // Differences span 1e-6 (two backends) to tens (two texts): three significant digits.
    value_axis_ = new QValueAxis;
    value_axis_->setLabelFormat("%.3g");
    difference_chart_->addAxis(step_axis_, Qt::AlignBottom);
    difference_chart_->addAxis(value_axis_, Qt::AlignLeft);
    for (QLineSeries* s : {before_, after_, marker_}) {
        difference_chart_->addSeries(s);
        s->attachAxis(step_axis_);
        s->attachAxis(value_axis_);
    }
    difference_view_ = make_view(difference_chart_);
    metric_box_ = new QComboBox;
    metric_box_->addItem(tr("max |Δlogit|"), int(Metric::MaxAbsLogit));
    metric_box_->addItem(tr("KL(A‖B), nats"), int(Metric::Kl));
    metric_box_->addItem(tr("total variation"), int(Metric::TotalVariation));
    mark_as_control(metric_box_);
    connect(metric_box_, &QComboBox::currentIndexChanged, this,
            [this](int) { setMetric(Metric(metric_box_->currentData().toInt())); });
    auto* chart_panel = new QWidget;
    auto* chart_layout = new QVBoxLayout(chart_panel);
    chart_layout->setContentsMargins(0, 0, 0, 0);
    chart_layout->addWidget(metric_box_, 0, Qt::AlignLeft);
    chart_layout->addWidget(difference_view_, 1);

    steps_ = new ComparisonStepModel(this);
    table_ = new QTableView;
    table_->setModel(steps_);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    auto* difference_tabs = new QTabWidget;
    difference_tabs->addTab(chart_panel, tr("Chart"));
    difference_tabs->addTab(table_, tr("Steps"));

    auto* charts = new QSplitter(Qt::Horizontal);
    charts->addWidget(with_help_label(distribution_panel, tr(kDistributionHelp), QStringLiteral("Compare")));
    charts->addWidget(with_help_label(difference_tabs, tr(kDifferenceHelp), QStringLiteral("Compare")));
    charts->setStretchFactor(0, 2);
    charts->setStretchFactor(1, 3);
    auto* body = new QSplitter(Qt::Vertical);
    body->addWidget(streams);
    body->addWidget(charts);
    // The texts take a few lines; the charts need the height (a bar pair per token).
    body->setStretchFactor(0, 1);
    body->setStretchFactor(1, 4);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(controls));
    layout->addWidget(summary_);
    layout->addWidget(body, 1);

    CompareSettings defaults;
    defaults.b.sampling.temperature = 1.0f;
    defaults.b.sampling.top_p = 1.0f;
    setSettings(defaults);
    finishComparing();  // the button as it reads between comparisons
    connect(compare_, &QPushButton::clicked, this, [this] {
        if (!comparing_) return requestComparison();
        summary_->setText(tr("Cancelling…"));
        emit cancelRequested();
    });
    connect(prompt_, &QLineEdit::returnPressed, this, [this] {
        if (!comparing_) requestComparison();
    });
    setComparison(kvs::RunComparison{});
    has_comparison_ = false;
}

CompareSettings CompareView::settings() const {
    CompareSettings s;
    s.prompt = prompt_->text();
    s.max_new = steps_spin_->value();
    s.a = side_a_->side();
    s.b = side_b_->side();
    return s;
}

void CompareView::setSettings(const CompareSettings& s) {
    prompt_->setText(s.prompt);
    steps_spin_->setValue(s.max_new);
    side_a_->setSide(s.a);
    side_b_->setSide(s.b);
}

void CompareView::setDefaultPrompt(const QString& prompt) {
    if (prompt_->text().isEmpty() || prompt_->text() == default_prompt_) prompt_->setText(prompt);
    default_prompt_ = prompt;
}

// The engine going idle ends a comparison that got no result: it was cancelled or it failed (the
// status bar has the message either way).
void CompareView::setBusy(bool busy) {
    if (!busy && comparing_) {
        finishComparing();
        if (!answered_) summary_->setText(tr("No comparison: it was cancelled or failed (the status bar says which)."));
    }
    compare_->setEnabled(!busy || comparing_);
}

void CompareView::requestComparison() {
    compared_prompt_ = prompt_->text();
    summary_->setText(tr("Running both… (the Cancel button stops them)"));
    comparing_ = true;
    answered_ = false;
    compare_->setText(tr("Cancel"));
    compare_->setToolTip(tr("Stop the comparison between two steps."));
    compare_->setEnabled(true);
    emit compareRequested(settings());
}

void CompareView::setProgress(int run, int steps, int total) {
    if (!comparing_) return;
    summary_->setText(tr("Running %1: %2 of %3 steps… (Cancel stops the comparison)")
                          .arg(run == 0 ? QStringLiteral("A") : QStringLiteral("B"))
                          .arg(steps)
                          .arg(total));
}

void CompareView::finishComparing() {
    comparing_ = false;
    compare_->setText(tr("Compare"));
    compare_->setToolTip(tr("Run the prompt with both settings and compare (on the engine thread)."));
}

void CompareView::setMetric(Metric metric) {
    metric_ = metric;
    const int index = metric_box_->findData(int(metric));
    if (index != metric_box_->currentIndex()) metric_box_->setCurrentIndex(index);
    showDifferences();
}

void CompareView::setShowSampled(bool sampled) {
    show_sampled_ = sampled;
    if (distribution_box_->currentIndex() != int(sampled)) distribution_box_->setCurrentIndex(int(sampled));
    showDistributions();
}

void CompareView::setComparison(const kvs::RunComparison& comparison) {
    comparison_ = comparison;
    has_comparison_ = true;
    answered_ = true;
    if (comparing_) finishComparing();
    const auto& c = comparison_;
    if (compared_prompt_.isEmpty()) compared_prompt_ = prompt_->text();
    title_a_->setText(tr("A: %1").arg(QString::fromStdString(c.description_a)));
    title_b_->setText(tr("B: %1").arg(QString::fromStdString(c.description_b)));
    if (c.common_steps == 0 && c.tokens_a.empty() && c.tokens_b.empty()) {
        summary_->setText(tr("Set the two runs and press Compare."));
    } else if (c.first_divergence >= 0) {
        const kvs::StepDifference& d = c.steps[std::size_t(c.first_divergence)];
        summary_->setText(
            tr("<b>First divergence at step %1</b> (position %2): A chose <b>\"%3\"</b>, B chose <b>\"%4\"</b>. "
               "Before it, the largest logit difference was %5 (KL %6 nats).")
                .arg(d.step)
                .arg(d.position)
                .arg(piece_html(c.texts_a[std::size_t(d.step)], c.labels_a[std::size_t(d.step)]),
                     piece_html(c.texts_b[std::size_t(d.step)], c.labels_b[std::size_t(d.step)]))
                .arg(c.max_abs_logit_same_context, 0, 'g', 3)
                .arg(c.max_kl_same_context, 0, 'g', 3));
    } else {
        summary_->setText(tr("<b>No divergence</b>: both runs chose the same tokens at all %1 steps. Largest logit "
                             "difference %2 (KL %3 nats), at step %4.")
                              .arg(c.common_steps)
                              .arg(c.max_abs_logit_same_context, 0, 'g', 3)
                              .arg(c.max_kl_same_context, 0, 'g', 3)
                              .arg(c.focus_step));
    }
    steps_->setComparison(c);
    showStreams();
    showDistributions();
    showDifferences();
}

QString CompareView::streamHtml(bool side_b) const {
    const auto& c = comparison_;
    const auto& texts = side_b ? c.texts_b : c.texts_a;
    const auto& labels = side_b ? c.labels_b : c.labels_a;
    QString html = QStringLiteral("<div style=\"white-space: pre-wrap\"><span style=\"color:#777\">%1</span>")
                       .arg(compared_prompt_.toHtmlEscaped());
    for (std::size_t k = 0; k < texts.size(); ++k) {
        const QString piece = piece_html(texts[k], k < labels.size() ? labels[k] : std::string());
        const int step = int(k);
        if (step == c.first_divergence)
            html += QStringLiteral("<span style=\"background-color:#ffd666; color:%1; font-weight:bold\">%2</span>")
                        .arg(kDivergence.name(), piece);
        else if (c.first_divergence >= 0 && step > c.first_divergence)
            html += QStringLiteral("<span style=\"color:#888\">%1</span>").arg(piece);
        else
            html += piece;
    }
    return html + QStringLiteral("</div>");
}

void CompareView::showStreams() {
    stream_a_->setHtml(streamHtml(false));
    stream_b_->setHtml(streamHtml(true));
}

void CompareView::showDistributions() {
    const auto& c = comparison_;
    const auto& top_a = show_sampled_ ? c.filtered_a : c.top_a;
    const auto& top_b = show_sampled_ ? c.filtered_b : c.top_b;
    // Rows the chart's height can label (Qt Charts elides category labels that do not fit).
    constexpr std::size_t kRows = 6;
    // The tokens: A's most likely, then B's that A's list lacks.
    std::vector<std::pair<int, std::string>> tokens;
    auto add = [&](const std::vector<kvs::TokenProbability>& top) {
        for (const auto& t : top) {
            if (tokens.size() >= kRows) return;
            if (std::none_of(tokens.begin(), tokens.end(), [&](const auto& p) { return p.first == t.id; }))
                tokens.emplace_back(t.id, t.label);
        }
    };
    add(std::vector<kvs::TokenProbability>(top_a.begin(), top_a.begin() + std::min(top_a.size(), kRows - 2)));
    add(top_b);
    add(top_a);
    auto probability = [](const std::vector<kvs::TokenProbability>& top, int id) {
        for (const auto& t : top)
            if (t.id == id) return double(t.probability);
        return 0.0;
    };
    bars_a_->remove(0, bars_a_->count());
    bars_b_->remove(0, bars_b_->count());
    bar_tokens_->clear();
    QStringList categories;
    double top = 0.0;
    // Bottom to top: the most likely token ends up on top.
    for (auto it = tokens.rbegin(); it != tokens.rend(); ++it) {
        categories << QStringLiteral("'%1'").arg(QString::fromStdString(it->second));
        const double pa = probability(top_a, it->first), pb = probability(top_b, it->first);
        bars_a_->append(pa);
        bars_b_->append(pb);
        top = std::max({top, pa, pb});
    }
    bar_tokens_->append(categories);
    set_nice_range(bar_values_, top > 0.0 ? std::min(1.0, top) : 1.0);
    if (c.focus_step < 0)
        distribution_chart_->setTitle(tr("Distributions"));
    else
        distribution_chart_->setTitle(c.focus_step == c.first_divergence
                                          ? tr("Distributions at step %1 (first divergence)").arg(c.focus_step)
                                          : tr("Distributions at step %1 (largest difference)").arg(c.focus_step));
}

void CompareView::showDifferences() {
    const auto& c = comparison_;
    QList<QPointF> before, after;
    double top = 0.0;
    for (const kvs::StepDifference& d : c.steps) {
        const double v = metric_value(d, metric_);
        top = std::max(top, v);
        // The divergence ends the solid line and starts the dashed one, so the two join.
        if (c.first_divergence < 0 || d.step <= c.first_divergence) before.append(QPointF(d.step, v));
        if (c.first_divergence >= 0 && d.step >= c.first_divergence) after.append(QPointF(d.step, v));
    }
    before_->replace(before);
    after_->replace(after);
    // A run pair that never differs (0 everywhere) still gets an axis.
    const double y_top = top > 0.0 ? top : 1.0;
    if (c.first_divergence >= 0) {
        marker_->replace({QPointF(c.first_divergence, 0.0), QPointF(c.first_divergence, y_top)});
        marker_->setName(tr("first divergence (step %1)").arg(c.first_divergence));
    } else {
        marker_->clear();
        marker_->setName(tr("no divergence"));
    }
    set_nice_int_range(step_axis_, std::max(1, int(c.steps.size()) - 1));
    set_nice_range(value_axis_, y_top);
    difference_chart_->setTitle(tr("%1 at every step").arg(metric_box_->currentText()));
}

}  // namespace kvs::ui
