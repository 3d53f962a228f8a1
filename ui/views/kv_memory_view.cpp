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
#include "views/decimated_series.h"
#include "views/view_help.h"

namespace kvs::ui {

namespace {

const char* kHelp =
    "KV cache memory of the selected sequence after each position. Every token stores one key and one "
    "value vector per layer and KV head: the formula (dashed) grows linearly, 2 x layers x kv_heads x "
    "head_dim x positions x bytes. The solid line is what the allocator holds for the sequence: whole "
    "blocks of block_size positions, so it climbs in steps, one block at a time, and stays above the "
    "formula by the unfilled tail of the last block. The grey line is the pool allocated up front. "
    "Stacked areas show each layer's share.";

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
    capacity_->setName(tr("pool allocated"));
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
    chart_view_->setMinimumSize(300, 200);
    total_line_ = std::make_unique<DecimatedSeries>(total_);
    formula_line_ = std::make_unique<DecimatedSeries>(formula_);

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
    projection_view_->setMinimumSize(300, 160);
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
    projection_layout->addWidget(control_bar(side));
    projection_layout->addWidget(make_help_label(tr(kProjectionHelp), this, projection_view_), 0, Qt::AlignTop);
    projection_panel_->setVisible(false);

    auto* bar = new QHBoxLayout;
    bar->addWidget(stacked_box_);
    bar->addWidget(capacity_box_);
    bar->addWidget(projection_box_);
    bar->addStretch();
    bar->addWidget(make_help_label(tr(kHelp), this, chart_view_));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(control_bar(bar));
    layout->addWidget(chart_view_, 2);
    layout->addWidget(projection_panel_, 1);

    connect(run_, &RunData::stepsAppended, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::runStarted, this, [this] {
        resetSamples();
        redraw_->request();
    });
    connect(run_, &RunData::cleared, this, [this] {
        resetSamples();
        redraw_->request();
    });
    // A new plot size regroups the pixel columns.
    connect(chart_, &QChart::plotAreaChanged, redraw_, &RedrawCoalescer::request);
    connect(run_, &RunData::selectionChanged, this, &KvMemoryView::updateSelectionMarker);
    rebuild();
    rebuildProjections();
}

KvMemoryView::~KvMemoryView() = default;

void KvMemoryView::refreshNow() { redraw_->flush(); }

qint64 KvMemoryView::pointsWritten() const {
    qint64 n = total_line_->pointsWritten() + formula_line_->pointsWritten();
    for (const auto& b : band_lower_) n += b->pointsWritten();
    for (const auto& b : band_upper_) n += b->pointsWritten();
    return n;
}

int KvMemoryView::pointsShown() const {
    int n = total_line_->pointCount() + formula_line_->pointCount();
    for (const auto& b : band_lower_) n += b->pointCount();
    for (const auto& b : band_upper_) n += b->pointCount();
    return n;
}

void KvMemoryView::resetSamples() {
    sampler_.reset();
    total_line_->clear();
    formula_line_->clear();
    for (auto& b : band_lower_) b->clear();
    for (auto& b : band_upper_) b->clear();
    last_pos_ = 0;
    max_bytes_ = 0.0;
}

void KvMemoryView::addSamples(const std::vector<KvPositionSample>& samples) {
    const KvLayout layout = run_->hasRun() ? run_->run().kv_layout : KvLayout{};
    for (const KvPositionSample& s : samples) {
        const double x = s.position;
        total_line_->append(x, s.total_bytes);
        formula_line_->append(x, double(layout.bytes_for(s.position)));
        double running = 0.0;
        for (std::size_t l = 0; l < band_upper_.size(); ++l) {
            band_lower_[l]->append(x, running);
            if (l < s.layer_bytes.size()) running += s.layer_bytes[l];
            band_upper_[l]->append(x, running);
        }
        last_pos_ = s.position;
        max_bytes_ = std::max(max_bytes_, s.total_bytes);
    }
}

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

bool KvMemoryView::projectionsVisible() const { return projection_box_->isChecked(); }

bool KvMemoryView::stackedLayers() const { return stacked_box_->isChecked(); }

QStringList KvMemoryView::projectedPresets() const {
    QStringList names;
    for (int i = 0; i < preset_list_->count(); ++i)
        if (preset_list_->item(i)->checkState() == Qt::Checked)
            names << preset_list_->item(i)->data(Qt::UserRole).toString();
    return names;
}

void KvMemoryView::rebuild() {
    if (run_->steps().size() < sampler_.stepsRead()) resetSamples();  // the run was cut back
    updateLayerAreas();  // before the new samples, so that new bands get them too
    addSamples(sampler_.take(*run_));
    const bool has_run = run_->hasRun();
    const KvLayout layout = has_run ? run_->run().kv_layout : KvLayout{};
    const double allocated = run_->kvPoints().empty() ? double(layout.bytes_allocated())
                                                      : double(run_->kvPoints().back().total_bytes_allocated);
    // The capacity is usually far above a short run's bytes: scaled to it, the run would be a
    // sliver at the bottom. The axis fits the run unless asked to take in the capacity.
    const double max_bytes = std::max(last_pos_ == 0 || capacity_box_->isChecked() ? allocated : 0.0, max_bytes_);
    unit_ = byte_unit_for(max_bytes);

    set_nice_int_range(axis_x_, std::max(1, last_pos_));
    const double width = column_width(0.0, axis_x_->max(), plot_pixels(chart_));
    for (DecimatedSeries* line : {total_line_.get(), formula_line_.get()}) {
        line->setColumns(0.0, width);
        line->sync(unit_.scale);
    }
    for (std::size_t l = 0; l < band_upper_.size(); ++l)
        for (DecimatedSeries* edge : {band_lower_[l].get(), band_upper_[l].get()}) {
            edge->setColumns(0.0, width);
            edge->sync(unit_.scale);
        }
    const double x_max = std::max(1, last_pos_);
    const QList<QPointF> capacity{{0.0, allocated / unit_.scale}, {x_max, allocated / unit_.scale}};
    if (capacity_->points() != capacity) capacity_->replace(capacity);
    const bool off_scale = allocated > max_bytes * 1.05;
    const QString capacity_name =
        off_scale ? tr("pool %1 (off scale)").arg(human_bytes(std::int64_t(allocated)))
                  : tr("pool %1 (%2 blocks of %3 positions)")
                        .arg(human_bytes(std::int64_t(allocated)))
                        .arg(layout.pool_blocks())
                        .arg(layout.block_positions());
    if (capacity_->name() != capacity_name) capacity_->setName(capacity_name);

    updateSelectionMarker();

    // An empty chart gets a 0..1 B axis rather than one labelled in billionths of a byte.
    set_nice_range(axis_y_, max_bytes > 0 ? max_bytes / unit_.scale * 1.05 : 1.0);
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
    const auto& points = run_->kvPoints();
    if (selected >= 0 && selected < int(points.size()) && points[std::size_t(selected)].step == selected) {
        const KvPoint& p = points[std::size_t(selected)];
        const double x = p.positions, y = double(p.total_bytes_used) / unit_.scale;
        const QList<QPointF> marker{{x, 0.0}, {x, y}};
        if (selection_->points() != marker) selection_->replace(marker);
        const QString name = tr("step %1: %2").arg(selected).arg(human_bytes(p.total_bytes_used));
        if (selection_->name() != name) selection_->setName(name);
        return;
    }
    if (selection_->count() > 0) selection_->clear();
    if (selection_->name() != tr("selected step")) selection_->setName(tr("selected step"));
}

void KvMemoryView::updateLayerAreas() {
    const int n_layers = stacked_box_->isChecked() && run_->hasRun() ? run_->run().config.n_layers : 0;
    if (n_layers == int(layer_areas_.size())) return;
    // The bands change (stacking toggled, a new model): drop them and build them from the start.
    for (QAreaSeries* a : layer_areas_) {
        chart_->removeSeries(a);
        delete a;
    }
    layer_areas_.clear();
    band_lower_.clear();
    band_upper_.clear();
    for (int l = 0; l < n_layers; ++l) {
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
        band_lower_.push_back(std::make_unique<DecimatedSeries>(area->lowerSeries()));
        band_upper_.push_back(std::make_unique<DecimatedSeries>(area->upperSeries()));
    }
    if (n_layers > 0) {
        // Series are drawn in the order they were added: put the lines back on top of the areas.
        for (QLineSeries* s : {total_, formula_, capacity_, selection_}) {
            chart_->removeSeries(s);
            chart_->addSeries(s);
            s->attachAxis(axis_x_);
            s->attachAxis(axis_y_);
        }
        // A legend entry per layer drowns the legend for deep models: show the first few only.
        for (int l = 0; l < n_layers; ++l)
            for (QLegendMarker* m : chart_->legend()->markers(layer_areas_[l])) m->setVisible(l < 6);
    }
    // The new bands need the samples so far: read the run again from its start.
    sampler_.reset();
    total_line_->clear();
    formula_line_->clear();
    last_pos_ = 0;
    max_bytes_ = 0.0;
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
