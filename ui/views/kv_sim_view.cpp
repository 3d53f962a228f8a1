#include "views/kv_sim_view.h"

#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalPercentBarSeries>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QThread>
#include <QValueAxis>
#include <QVBoxLayout>

#include "core/kv_footprint.h"
#include "model/model_presets.h"
#include "views/view_help.h"

namespace kvs::ui {

namespace {

const char* kHelp =
    "Serves a stream of requests from a fixed KV memory under each allocation strategy and shows where the "
    "memory goes, averaged over the steps during which a request waits for memory. Contiguous strategies "
    "reserve one region per request when it is admitted: the maximum length, the next power of two of its "
    "final length, or exactly its final length (an oracle). Paged strategies take blocks as the request grows "
    "(the engine's own block pool and prefix cache). tokens: memory holding token states; reserved: held for "
    "tokens still to come; internal: held but never used; external: free but unusable by the waiting request. "
    "'running' is how many requests fit at once. docs/KV_SIM.md describes the model.";

struct Outcome {
    std::vector<kvs::SimResult> results;
    QString error;
    QString summary;
};

QString percent(double share) { return QString::number(100.0 * share, 'f', 1) + "%"; }

}  // namespace

KvSimView::KvSimView(QWidget* parent) : QWidget(parent) {
    preset_ = new QComboBox;
    preset_->setObjectName("simPreset");
    if (auto presets = kvs::model_presets())
        for (const auto& p : *presets)
            preset_->addItem(QString::fromStdString(p.display_name), QString::fromStdString(p.name));
    dtype_ = new QComboBox;
    for (const auto& t : kvs::kv_storage_types()) dtype_->addItem(QString::fromStdString(t.name));
    dtype_->setCurrentText("f16");
    memory_ = new QDoubleSpinBox;
    memory_->setRange(0.01, 1e6);
    memory_->setDecimals(2);
    memory_->setSuffix(" GiB");
    memory_->setValue(16.0);
    max_length_ = new QSpinBox;
    max_length_->setRange(2, 1 << 22);
    max_length_->setValue(2048);
    requests_ = new QSpinBox;
    requests_->setRange(1, 1000000);
    requests_->setValue(1000);
    prompt_len_ = new QLineEdit("lognormal:256:200");
    prompt_len_->setToolTip(tr("fixed:N, uniform:A:B, normal:MEAN:SD or lognormal:MEAN:SD"));
    output_len_ = new QLineEdit("lognormal:512:400");
    output_len_->setToolTip(prompt_len_->toolTip());
    shared_prefix_ = new QSpinBox;
    shared_prefix_->setRange(0, 1 << 20);
    shared_prefix_->setToolTip(tr("Tokens every prompt of a group starts with (few-shot examples, a system prompt)."));
    groups_ = new QSpinBox;
    groups_->setRange(1, 100000);
    block_sizes_ = new QLineEdit("1,8,16,32");
    run_ = new QPushButton(tr("Simulate"));
    run_->setObjectName("simulateButton");
    status_ = new QLabel;
    status_->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Model shape"), preset_);
    form->addRow(tr("Stored as"), dtype_);
    form->addRow(tr("KV memory"), memory_);
    form->addRow(tr("Maximum length"), max_length_);
    form->addRow(tr("Requests"), requests_);
    form->addRow(tr("Prompt lengths"), prompt_len_);
    form->addRow(tr("Output lengths"), output_len_);
    form->addRow(tr("Shared prefix"), shared_prefix_);
    form->addRow(tr("Prefix groups"), groups_);
    form->addRow(tr("Block sizes"), block_sizes_);
    form->addRow(QString(), run_);

    table_ = new QTableWidget(0, 7);
    table_->setObjectName("simTable");
    table_->setHorizontalHeaderLabels(
        {tr("strategy"), tr("tokens"), tr("reserved"), tr("internal"), tr("external"), tr("running"), tr("prefix hits")});
    table_->verticalHeader()->setVisible(false);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    chart_ = new QChart;
    chart_->setTitle(tr("Where the KV memory goes"));
    chart_->legend()->setAlignment(Qt::AlignBottom);
    chart_view_ = new QChartView(chart_);
    chart_view_->setRenderHint(QPainter::Antialiasing);
    chart_view_->setMinimumSize(320, 240);

    auto* left = new QVBoxLayout;
    left->addLayout(form);
    left->addWidget(status_);
    left->addStretch();
    auto* right = new QVBoxLayout;
    auto* help_row = new QHBoxLayout;
    help_row->addStretch();
    help_row->addWidget(make_help_label(tr(kHelp), this, chart_view_));
    right->addLayout(help_row);
    right->addWidget(chart_view_, 3);
    right->addWidget(table_, 2);
    auto* layout = new QHBoxLayout(this);
    layout->addLayout(left);
    layout->addLayout(right, 1);

    connect(run_, &QPushButton::clicked, this, &KvSimView::runSimulation);
    selectPreset("opt-13b");
}

KvSimView::~KvSimView() = default;

bool KvSimView::selectPreset(const QString& name) {
    const int i = preset_->findData(name);
    if (i >= 0) preset_->setCurrentIndex(i);
    return i >= 0;
}

void KvSimView::setMemoryGiB(double gib) { memory_->setValue(gib); }
void KvSimView::setMaxLength(int positions) { max_length_->setValue(positions); }
void KvSimView::setRequests(int n) { requests_->setValue(n); }

void KvSimView::runSimulation() {
    // Everything the thread needs, by value.
    const std::string preset = preset_->currentData().toString().toStdString(), dtype = dtype_->currentText().toStdString();
    const double memory = memory_->value() * 1073741824.0;
    const int max_length = max_length_->value(), requests = requests_->value();
    const std::string prompt = prompt_len_->text().toStdString(), output = output_len_->text().toStdString();
    const int shared = shared_prefix_->value(), groups = groups_->value();
    const QStringList sizes = block_sizes_->text().split(',', Qt::SkipEmptyParts);
    std::vector<int> block_sizes;
    for (const QString& s : sizes) {
        bool ok = false;
        const int v = s.trimmed().toInt(&ok);
        if (!ok || v < 1) {
            status_->setText(tr("Block sizes: positive integers separated by commas, like 1,8,16,32."));
            return;
        }
        block_sizes.push_back(v);
    }
    running_ = true;
    run_->setEnabled(false);
    status_->setText(tr("Simulating\u2026"));
    const int gen = ++generation_;
    QPointer<KvSimView> self(this);
    QThread* thread = QThread::create([=] {
        Outcome o;
        auto fail = [&](const std::string& m) { o.error = QString::fromStdString(m); };
        auto p = kvs::find_model_preset(preset);
        auto type = kvs::find_kv_storage_type(dtype);
        auto pl = kvs::LengthDistribution::parse(prompt);
        auto ol = kvs::LengthDistribution::parse(output);
        if (!p) fail(p.message());
        else if (!type) fail(type.message());
        else if (!pl) fail(pl.message());
        else if (!ol) fail(ol.message());
        else {
            const kvs::KvShape shape{p->config.n_layers, p->config.n_kv_heads, p->config.head_dim()};
            auto per_token = kvs::kv_footprint(shape, 1, 1, *type);
            kvs::WorkloadSpec w;
            w.requests = requests;
            w.prompt = *pl;
            w.output = *ol;
            w.shared_prefix_tokens = shared;
            w.prefix_groups = groups;
            w.max_length = max_length;
            auto reqs = kvs::make_workload(w);
            if (!per_token) fail(per_token.message());
            else if (!reqs) fail(reqs.message());
            else {
                kvs::SimConfig cfg;
                cfg.max_length = max_length;
                cfg.memory_positions = (long long)(memory / double(per_token->bytes_per_token));
                std::vector<kvs::SimStrategy> strategies = {{kvs::SimStrategy::Kind::MaxLength},
                                                            {kvs::SimStrategy::Kind::PowerOfTwo},
                                                            {kvs::SimStrategy::Kind::Exact}};
                for (int bs : block_sizes) strategies.push_back({kvs::SimStrategy::Kind::Paged, bs, false});
                strategies.push_back({kvs::SimStrategy::Kind::Paged, 16, true});
                for (const auto& s : strategies) {
                    auto r = kvs::simulate_kv(cfg, *reqs, s);
                    if (!r) {
                        fail(r.message());
                        break;
                    }
                    o.results.push_back(*r);
                }
                o.summary = QObject::tr("%1: %2 per position, %3 of KV memory = %4 positions; %5 requests")
                                .arg(QString::fromStdString(p->name))
                                .arg(QString::fromStdString(kvs::format_binary_bytes(double(per_token->bytes_per_token))))
                                .arg(QString::fromStdString(kvs::format_binary_bytes(memory)))
                                .arg(QString::fromStdString(kvs::group_thousands(cfg.memory_positions)))
                                .arg(requests);
            }
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, o, gen] {
                if (!self || gen != self->generation_) return;
                self->showResults(o.results, o.error, o.summary);
            },
            Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void KvSimView::showResults(const std::vector<kvs::SimResult>& results, const QString& error, const QString& summary) {
    running_ = false;
    run_->setEnabled(true);
    if (!error.isEmpty()) {
        status_->setText(error);
        emit finished();
        return;
    }
    results_ = results;
    status_->setText(summary + (results.empty() || results.front().memory_bound
                                    ? QString()
                                    : tr(" (no request ever waited: the memory exceeds the load)")));
    table_->setRowCount(int(results.size()));
    for (int r = 0; r < int(results.size()); ++r) {
        const kvs::SimResult& s = results[std::size_t(r)];
        const QStringList cells = {QString::fromStdString(s.strategy.name()), percent(s.token_states), percent(s.reserved),
                                   percent(s.internal), percent(s.external),
                                   QString("%1 / %2").arg(s.mean_running, 0, 'f', 1).arg(s.max_running),
                                   s.strategy.prefix_sharing ? percent(s.prefix_hit_rate()) : QString("-")};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            table_->setItem(r, c, item);
        }
    }
    // Stacked shares, one bar per strategy (top to bottom as in the table).
    chart_->removeAllSeries();
    for (QAbstractAxis* a : chart_->axes()) {
        chart_->removeAxis(a);
        delete a;
    }
    auto* series = new QHorizontalPercentBarSeries;
    const QStringList names = {tr("token states"), tr("reserved"), tr("internal waste"), tr("external waste")};
    const QColor colors[] = {QColor(31, 119, 180), QColor(255, 187, 120), QColor(214, 39, 40), QColor(150, 150, 150)};
    QStringList categories;
    std::vector<QBarSet*> sets;
    for (int i = 0; i < 4; ++i) {
        auto* set = new QBarSet(names[i]);
        set->setColor(colors[i]);
        sets.push_back(set);
    }
    for (auto it = results.rbegin(); it != results.rend(); ++it) {
        categories << QString::fromStdString(it->strategy.name());
        *sets[0] << 100.0 * it->token_states;
        *sets[1] << 100.0 * it->reserved;
        *sets[2] << 100.0 * it->internal;
        *sets[3] << 100.0 * it->external;
    }
    for (QBarSet* s : sets) series->append(s);
    chart_->addSeries(series);
    auto* axis_y = new QBarCategoryAxis;
    axis_y->append(categories);
    auto* axis_x = new QValueAxis;
    axis_x->setRange(0, 100);
    axis_x->setTitleText(tr("share of the KV memory (%)"));
    chart_->addAxis(axis_y, Qt::AlignLeft);
    chart_->addAxis(axis_x, Qt::AlignBottom);
    series->attachAxis(axis_y);
    series->attachAxis(axis_x);
    emit finished();
}

}  // namespace kvs::ui
