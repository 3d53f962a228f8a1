#include "views/kv_memory_view.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QListWidget>
#include <QPen>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "core/kv_footprint.h"
#include "human_units.h"
#include "model/model_presets.h"
#include "run_data.h"
#include "views/view_help.h"

namespace kvs::ui {

std::vector<KvPositionSample> kv_samples_per_position(const RunData& run) {
    std::vector<KvPositionSample> out;
    int prev_pos = 0;
    double prev_total = 0.0;
    std::vector<double> prev_layers;
    for (const KvPoint& p : run.kvPoints()) {
        if (p.positions <= prev_pos) continue;  // a step that wrote nothing (or a rewind)
        const int n_layers = int(p.layer_bytes_used.size());
        prev_layers.resize(std::size_t(n_layers), 0.0);
        const int span = p.positions - prev_pos;
        for (int q = prev_pos + 1; q <= p.positions; ++q) {
            const double f = double(q - prev_pos) / span;
            KvPositionSample s;
            s.position = q;
            s.total_bytes = prev_total + (double(p.total_bytes_used) - prev_total) * f;
            s.layer_bytes.resize(std::size_t(n_layers));
            for (int l = 0; l < n_layers; ++l)
                s.layer_bytes[l] = prev_layers[l] + (double(p.layer_bytes_used[l]) - prev_layers[l]) * f;
            out.push_back(std::move(s));
        }
        prev_pos = p.positions;
        prev_total = double(p.total_bytes_used);
        for (int l = 0; l < n_layers; ++l) prev_layers[l] = double(p.layer_bytes_used[l]);
    }
    return out;
}

namespace {

const char* kHelp =
    "KV cache memory after each position. Every token stores one key and one value vector per layer "
    "and KV head, so memory grows linearly: 2 x layers x kv_heads x head_dim x positions x bytes. "
    "The solid line is what the cache reports, the dashed line the formula (they coincide), the grey "
    "line the capacity allocated up front. Stacked areas show each layer's share.";

const char* kProjectionHelp =
    "The same formula for real models at their full context, so the run's numbers can be compared with "
    "Llama-2-7B (0.5 MiB per token in f16) or a GQA model like Llama-3-70B (8 KV heads instead of 64).";

QColor layer_color(int layer, int n_layers) {
    return QColor::fromHsvF(0.58 - 0.5 * double(layer) / std::max(1, n_layers), 0.45, 0.95, 0.75);
}

}  // namespace

KvMemoryView::KvMemoryView(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    redraw_ = new RedrawCoalescer([this] { rebuild(); }, this);

    chart_ = new QChart;
    chart_->setTitle(tr("KV cache memory"));
    axis_x_ = new QValueAxis;
    axis_x_->setTitleText(tr("position (tokens in the cache)"));
    axis_x_->setLabelFormat("%d");
    axis_y_ = new QValueAxis;
    axis_y_->setTitleText(tr("bytes"));
    chart_->addAxis(axis_x_, Qt::AlignBottom);
    chart_->addAxis(axis_y_, Qt::AlignLeft);

    total_ = new QLineSeries;
    total_->setName(tr("measured"));
    total_->setPen(QPen(QColor(31, 119, 180), 2.5));
    formula_ = new QLineSeries;
    formula_->setName(tr("formula"));
    formula_->setPen(QPen(QColor(214, 39, 40), 1.5, Qt::DashLine));
    capacity_ = new QLineSeries;
    capacity_->setName(tr("allocated capacity"));
    capacity_->setPen(QPen(QColor(127, 127, 127), 1.5, Qt::DotLine));
    selection_ = new QLineSeries;
    selection_->setName(tr("selected step"));
    selection_->setPen(QPen(QColor(255, 127, 14), 2));
    for (QLineSeries* s : {total_, formula_, capacity_, selection_}) {
        chart_->addSeries(s);
        s->attachAxis(axis_x_);
        s->attachAxis(axis_y_);
    }
    chart_->legend()->setAlignment(Qt::AlignBottom);
    chart_view_ = new QChartView(chart_);
    chart_view_->setRenderHint(QPainter::Antialiasing);
    chart_view_->setMinimumSize(320, 240);

    stacked_box_ = new QCheckBox(tr("Stack per layer"));
    stacked_box_->setChecked(true);
    stacked_box_->setToolTip(tr("Fill the area under the total with one band per layer."));
    capacity_box_ = new QCheckBox(tr("Scale to capacity"));
    capacity_box_->setToolTip(tr("Extend the vertical axis to the bytes allocated up front for the whole context."));
    connect(capacity_box_, &QCheckBox::toggled, this, [this] { redraw_->request(); });
    projection_box_ = new QCheckBox(tr("Compare with real models"));
    connect(stacked_box_, &QCheckBox::toggled, this, [this] { redraw_->request(); });
    connect(projection_box_, &QCheckBox::toggled, this, &KvMemoryView::setProjectionsVisible);

    // Projections of real models (from the embedded presets).
    projection_chart_ = new QChart;
    projection_chart_->setTitle(tr("Projected KV cache of real models"));
    projection_chart_->legend()->setAlignment(Qt::AlignRight);
    projection_view_ = new QChartView(projection_chart_);
    projection_view_->setRenderHint(QPainter::Antialiasing);
    projection_view_->setMinimumSize(320, 220);
    preset_list_ = new QListWidget;
    preset_list_->setMaximumWidth(200);
    if (auto presets = kvs::model_presets()) {
        const QStringList defaults = {"llama-2-7b", "llama-3-8b", "llama-3-70b", "tinyllama-1.1b"};
        for (const auto& p : *presets) {
            auto* item = new QListWidgetItem(QString::fromStdString(p.display_name), preset_list_);
            item->setData(Qt::UserRole, QString::fromStdString(p.name));
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(defaults.contains(QString::fromStdString(p.name)) ? Qt::Checked : Qt::Unchecked);
        }
    }
    connect(preset_list_, &QListWidget::itemChanged, this, [this] { rebuildProjections(); });
    projection_dtype_ = new QComboBox;
    projection_dtype_->addItem("f16", 2);
    projection_dtype_->addItem("f32", 4);
    projection_dtype_->addItem("8-bit", 1);
    connect(projection_dtype_, &QComboBox::currentIndexChanged, this, [this] { rebuildProjections(); });
    auto* side = new QVBoxLayout;
    side->addWidget(new QLabel(tr("Bytes per value")));
    side->addWidget(projection_dtype_);
    side->addWidget(preset_list_);
    projection_panel_ = new QWidget;
    auto* projection_layout = new QHBoxLayout(projection_panel_);
    projection_layout->setContentsMargins(0, 0, 0, 0);
    projection_layout->addWidget(projection_view_, 1);
    projection_layout->addLayout(side);
    projection_layout->addWidget(make_help_label(tr(kProjectionHelp), this, projection_view_), 0, Qt::AlignTop);
    projection_panel_->setVisible(false);

    auto* bar = new QHBoxLayout;
    bar->addWidget(stacked_box_);
    bar->addWidget(capacity_box_);
    bar->addWidget(projection_box_);
    bar->addStretch();
    bar->addWidget(make_help_label(tr(kHelp), this, chart_view_));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(chart_view_, 2);
    layout->addWidget(projection_panel_, 1);

    connect(run_, &RunData::stepsAppended, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::cleared, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, &KvMemoryView::updateSelectionMarker);
    rebuild();
    rebuildProjections();
}

void KvMemoryView::refreshNow() { redraw_->flush(); }

void KvMemoryView::setStackedLayers(bool on) {
    stacked_box_->setChecked(on);
    refreshNow();
}

void KvMemoryView::setScaledToCapacity(bool on) {
    capacity_box_->setChecked(on);
    refreshNow();
}

void KvMemoryView::setProjectionsVisible(bool on) {
    if (projection_box_->isChecked() != on) projection_box_->setChecked(on);
    projection_panel_->setVisible(on);
}

QStringList KvMemoryView::projectedPresets() const {
    QStringList names;
    for (int i = 0; i < preset_list_->count(); ++i)
        if (preset_list_->item(i)->checkState() == Qt::Checked)
            names << preset_list_->item(i)->data(Qt::UserRole).toString();
    return names;
}

void KvMemoryView::rebuild() {
    const std::vector<KvPositionSample> samples = kv_samples_per_position(*run_);
    const bool has_run = run_->hasRun();
    const KvLayout layout = has_run ? run_->run().kv_layout : KvLayout{};
    const int last_pos = samples.empty() ? 0 : samples.back().position;
    const double allocated = run_->kvPoints().empty() ? double(layout.bytes_allocated())
                                                      : double(run_->kvPoints().back().total_bytes_allocated);
    // The capacity is usually far above a short run's bytes: scaled to it, the run would be a
    // sliver at the bottom. The axis fits the run unless asked to take in the capacity.
    double max_bytes = samples.empty() || capacity_box_->isChecked() ? allocated : 0.0;
    for (const auto& s : samples) max_bytes = std::max(max_bytes, s.total_bytes);
    unit_ = byte_unit_for(max_bytes);

    QList<QPointF> measured, formula;
    measured.reserve(qsizetype(samples.size()));
    formula.reserve(qsizetype(samples.size()));
    for (const auto& s : samples) {
        measured.append({double(s.position), s.total_bytes / unit_.scale});
        formula.append({double(s.position), double(layout.bytes_for(s.position)) / unit_.scale});
    }
    total_->replace(measured);
    formula_->replace(formula);
    const double x_max = std::max(1, last_pos);
    capacity_->replace(QList<QPointF>{{0.0, allocated / unit_.scale}, {x_max, allocated / unit_.scale}});
    const bool off_scale = allocated > max_bytes * 1.05;
    const QString capacity_name =
        off_scale ? tr("allocated %1 (off scale)").arg(human_bytes(std::int64_t(allocated)))
                  : tr("allocated %1 (%2 positions)").arg(human_bytes(std::int64_t(allocated))).arg(layout.capacity);
    if (capacity_->name() != capacity_name) capacity_->setName(capacity_name);

    rebuildLayerAreas(samples);
    updateSelectionMarker();

    set_nice_range(axis_x_, x_max);
    set_nice_range(axis_y_, std::max(max_bytes / unit_.scale * 1.05, 1e-9));
    set_title_if_changed(axis_y_, tr("KV cache (%1)").arg(unit_.name));
    if (has_run) {
        const auto& c = run_->run().config;
        set_title_if_changed(chart_, tr("KV cache of %1: 2 (K, V) \u00d7 %2 layers \u00d7 %3 KV heads \u00d7 %4 dims "
                                        "\u00d7 %5 B = %6 per token")
                             .arg(QString::fromStdString(c.name))
                             .arg(layout.n_layers)
                             .arg(layout.n_kv_heads)
                             .arg(layout.head_dim)
                             .arg(bytes_per_element(layout.dtype))
                             .arg(human_bytes(layout.bytes_per_token())));
    } else {
        set_title_if_changed(chart_, tr("KV cache memory (no run yet)"));
    }
}

void KvMemoryView::updateSelectionMarker() {
    // A vertical line at the cache length after the selected step, up to its bytes.
    const int selected = run_->selectedStep();
    for (const KvPoint& p : run_->kvPoints()) {
        if (p.step != selected) continue;
        const double x = p.positions, y = double(p.total_bytes_used) / unit_.scale;
        selection_->replace(QList<QPointF>{{x, 0.0}, {x, y}});
        selection_->setName(tr("step %1: %2").arg(selected).arg(human_bytes(p.total_bytes_used)));
        return;
    }
    selection_->clear();
    selection_->setName(tr("selected step"));
}

void KvMemoryView::rebuildLayerAreas(const std::vector<KvPositionSample>& samples) {
    const int n_layers = stacked_box_->isChecked() && !samples.empty() ? int(samples.back().layer_bytes.size()) : 0;
    while (int(layer_areas_.size()) > n_layers) {
        QAreaSeries* a = layer_areas_.back();
        layer_areas_.pop_back();
        chart_->removeSeries(a);
        delete a;
    }
    const bool grows = int(layer_areas_.size()) < n_layers;
    while (int(layer_areas_.size()) < n_layers) {
        const int l = int(layer_areas_.size());
        auto* area = new QAreaSeries(new QLineSeries, new QLineSeries);
        area->upperSeries()->setParent(area);
        area->lowerSeries()->setParent(area);
        area->setName(tr("layer %1").arg(l));
        area->setColor(layer_color(l, n_layers));
        area->setBorderColor(layer_color(l, n_layers).darker(130));
        chart_->addSeries(area);
        area->attachAxis(axis_x_);
        area->attachAxis(axis_y_);
        layer_areas_.push_back(area);
    }
    if (grows) {
        // Series are drawn in the order they were added: put the lines back on top of the areas.
        for (QLineSeries* s : {total_, formula_, capacity_, selection_}) {
            chart_->removeSeries(s);
            chart_->addSeries(s);
            s->attachAxis(axis_x_);
            s->attachAxis(axis_y_);
        }
    }
    std::vector<double> running(samples.size(), 0.0);
    for (int l = 0; l < n_layers; ++l) {
        QList<QPointF> lower, upper;
        lower.reserve(qsizetype(samples.size()));
        upper.reserve(qsizetype(samples.size()));
        for (std::size_t i = 0; i < samples.size(); ++i) {
            const double x = samples[i].position;
            lower.append({x, running[i] / unit_.scale});
            if (std::size_t(l) < samples[i].layer_bytes.size()) running[i] += samples[i].layer_bytes[l];
            upper.append({x, running[i] / unit_.scale});
        }
        layer_areas_[l]->lowerSeries()->replace(lower);
        layer_areas_[l]->upperSeries()->replace(upper);
    }
    // A legend entry per layer drowns the legend for deep models: show the first few only.
    for (int l = 0; l < n_layers; ++l)
        for (QLegendMarker* m : chart_->legend()->markers(layer_areas_[l])) m->setVisible(l < 6);
}

void KvMemoryView::rebuildProjections() {
    projection_chart_->removeAllSeries();
    for (QAbstractAxis* a : projection_chart_->axes()) {
        projection_chart_->removeAxis(a);
        delete a;
    }
    auto presets = kvs::model_presets();
    if (!presets) return;
    const int bytes = projection_dtype_->currentData().toInt();
    const QStringList chosen = projectedPresets();
    double max_bytes = 1.0;
    int max_ctx = 1;
    for (const auto& p : *presets)
        if (chosen.contains(QString::fromStdString(p.name))) {
            max_ctx = std::max(max_ctx, p.config.max_seq_len);
            max_bytes = std::max(max_bytes, double(p.config.kv_bytes_per_token(bytes)) * p.config.max_seq_len);
        }
    const AxisUnit unit = byte_unit_for(max_bytes);
    auto* ax = new QValueAxis;
    ax->setTitleText(tr("tokens"));
    ax->setLabelFormat("%d");
    ax->setRange(0, max_ctx);
    auto* ay = new QValueAxis;
    ay->setTitleText(tr("KV cache (%1)").arg(unit.name));
    ay->setRange(0, max_bytes / unit.scale * 1.05);
    ax->applyNiceNumbers();
    ay->applyNiceNumbers();
    projection_chart_->addAxis(ax, Qt::AlignBottom);
    projection_chart_->addAxis(ay, Qt::AlignLeft);
    for (const auto& p : *presets) {
        if (!chosen.contains(QString::fromStdString(p.name))) continue;
        const auto& c = p.config;
        auto* s = new QLineSeries;
        const double per_token = double(c.kv_bytes_per_token(bytes));
        s->setName(tr("%1: %2/token").arg(QString::fromStdString(p.display_name),
                                          QString::fromStdString(kvs::format_binary_bytes(per_token))));
        // The formula is linear in tokens: its two ends draw it exactly.
        s->append(0, 0);
        s->append(c.max_seq_len, per_token * c.max_seq_len / unit.scale);
        projection_chart_->addSeries(s);
        s->attachAxis(ax);
        s->attachAxis(ay);
    }
}

}  // namespace kvs::ui
