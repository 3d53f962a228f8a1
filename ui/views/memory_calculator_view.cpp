#include "views/memory_calculator_view.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLocale>
#include <QTableWidget>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/kv_footprint.h"
#include "model/model_presets.h"
#include "views/view_help.h"

namespace kvs::ui {
namespace {
const char* kHelp =
    "KV cache bytes = 2 (K and V) x layers x KV heads x head_dim x tokens x batch x bytes per value. "
    "Query heads do not appear: with grouped-query attention several query heads share one KV head, "
    "which is how Llama-3-70B needs 320 KiB per token instead of 2.5 MiB. Quantized types (q8_0: 34 "
    "bytes per 32 values) shrink the last factor.";

QSpinBox* spin(int min, int max, int value) {
    auto* s = new QSpinBox;
    s->setRange(min, max);
    s->setValue(value);
    s->setGroupSeparatorShown(true);
    return s;
}
}  // namespace

MemoryCalculatorView::MemoryCalculatorView(QWidget* parent) : QWidget(parent) {
    preset_ = new QComboBox;
    preset_->addItem(tr("Custom"), QString());
    if (auto presets = kvs::model_presets())
        for (const auto& p : *presets)
            preset_->addItem(QString::fromStdString(p.display_name), QString::fromStdString(p.name));
    layers_ = spin(1, 1000, 32);
    kv_heads_ = spin(1, 1024, 32);
    head_dim_ = spin(1, 4096, 128);
    dtype_ = new QComboBox;
    for (const auto& t : kvs::kv_storage_types()) {
        dtype_->addItem(QString::fromStdString(t.name), QString::fromStdString(t.name));
        dtype_->setItemData(dtype_->count() - 1, QString::fromStdString(t.description), Qt::ToolTipRole);
    }
    setDtype("f16");
    tokens_ = spin(1, 100'000'000, 4096);
    batch_ = spin(1, 100'000, 1);

    auto* form = new QFormLayout;
    form->addRow(tr("Model preset"), preset_);
    form->addRow(tr("Layers"), layers_);
    form->addRow(tr("KV heads"), kv_heads_);
    form->addRow(tr("Head dim"), head_dim_);
    form->addRow(tr("Storage type"), dtype_);
    form->addRow(tr("Tokens (sequence length)"), tokens_);
    form->addRow(tr("Batch (sequences)"), batch_);

    formula_ = new QLabel;
    formula_->setWordWrap(true);
    formula_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_ = new QLabel;
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_->setWordWrap(true);
    QFont big = result_->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    big.setBold(true);
    result_->setFont(big);
    note_ = new QLabel;
    note_->setWordWrap(true);

    auto* explanation = new QLabel(tr(kHelp));
    explanation->setWordWrap(true);
    explanation->setStyleSheet(QStringLiteral("color: palette(dark);"));

    // Every preset at the same tokens, batch and storage type, to compare model shapes.
    comparison_ = new QTableWidget(0, 3);
    comparison_->setObjectName("presetComparison");
    comparison_->setHorizontalHeaderLabels({tr("Model"), tr("Per token"), tr("Total")});
    comparison_->verticalHeader()->setVisible(false);
    comparison_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    comparison_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    comparison_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    comparison_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    comparison_->setSelectionBehavior(QAbstractItemView::SelectRows);
    comparison_->setAlternatingRowColors(true);
    comparison_->setToolTip(tr("Double-click a model to fill the calculator with its shape."));
    connect(comparison_, &QTableWidget::cellDoubleClicked, this,
            [this](int row, int) { selectPreset(comparison_->item(row, 0)->data(Qt::UserRole).toString()); });
    comparison_title_ = new QLabel;

    auto* title = new QHBoxLayout;
    title->addWidget(new QLabel(tr("<b>KV cache memory calculator</b>")));
    title->addStretch();
    title->addWidget(make_help_label(tr(kHelp), this));
    auto* left = new QVBoxLayout;
    left->addLayout(form);
    left->addSpacing(8);
    left->addWidget(formula_);
    left->addWidget(result_);
    left->addWidget(note_);
    left->addSpacing(8);
    left->addWidget(explanation);
    left->addStretch();
    auto* left_box = new QWidget;
    left_box->setLayout(left);
    left_box->setMaximumWidth(620);
    auto* right = new QVBoxLayout;
    right->addWidget(comparison_title_);
    right->addWidget(comparison_, 1);
    auto* columns = new QHBoxLayout;
    columns->addWidget(left_box, 3);
    columns->addSpacing(12);
    columns->addLayout(right, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(title);
    layout->addLayout(columns, 1);

    connect(preset_, &QComboBox::currentIndexChanged, this, &MemoryCalculatorView::onPresetChosen);
    for (QSpinBox* s : {layers_, kv_heads_, head_dim_})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            if (!applying_preset_) preset_->setCurrentIndex(0);
            recompute();
        });
    // The tokens and batch are not part of a model's shape: changing them keeps the preset.
    for (QSpinBox* s : {tokens_, batch_})
        connect(s, &QSpinBox::valueChanged, this, [this] { recompute(); });
    connect(dtype_, &QComboBox::currentIndexChanged, this, [this] { recompute(); });
    if (!selectPreset("llama-2-7b")) recompute();
}

bool MemoryCalculatorView::selectPreset(const QString& name) {
    const int index = preset_->findData(name);
    if (index < 0) return false;
    preset_->setCurrentIndex(index);
    onPresetChosen(index);
    return true;
}

void MemoryCalculatorView::onPresetChosen(int index) {
    const QString name = preset_->itemData(index).toString();
    if (name.isEmpty()) {
        note_->clear();
        return;
    }
    auto preset = kvs::find_model_preset(name.toStdString());
    if (!preset) return;
    const auto& c = preset->config;
    applying_preset_ = true;
    layers_->setValue(c.n_layers);
    kv_heads_->setValue(c.n_kv_heads);
    head_dim_->setValue(c.head_dim());
    applying_preset_ = false;
    note_->setText(tr("%1: %2 query heads share %3 KV heads (group of %4); context %5 tokens.")
                       .arg(QString::fromStdString(preset->display_name))
                       .arg(c.n_heads)
                       .arg(c.n_kv_heads)
                       .arg(c.gqa_group())
                       .arg(c.max_seq_len));
    recompute();
}

void MemoryCalculatorView::setShape(int layers, int kv_heads, int head_dim) {
    layers_->setValue(layers);
    kv_heads_->setValue(kv_heads);
    head_dim_->setValue(head_dim);
}

void MemoryCalculatorView::setTokens(int tokens) { tokens_->setValue(tokens); }
void MemoryCalculatorView::setBatch(int batch) { batch_->setValue(batch); }

bool MemoryCalculatorView::setDtype(const QString& name) {
    const int index = dtype_->findData(name);
    if (index < 0) return false;
    dtype_->setCurrentIndex(index);
    return true;
}

QString MemoryCalculatorView::formulaText() const { return formula_->text(); }
QString MemoryCalculatorView::resultText() const { return result_->text(); }

void MemoryCalculatorView::recompute() {
    if (!layers_ || !tokens_ || !batch_ || !formula_) return;  // during construction
    auto type = kvs::find_kv_storage_type(dtype_->currentData().toString().toStdString());
    if (!type) {
        formula_->setText(QString::fromStdString(type.message()));
        return;
    }
    const kvs::KvShape shape{layers_->value(), kv_heads_->value(), head_dim_->value()};
    auto f = kvs::kv_footprint(shape, tokens_->value(), batch_->value(), *type);
    if (!f) {
        formula_->setText(QString::fromStdString(f.message()));
        result_->clear();
        total_bytes_ = bytes_per_token_ = 0;
        return;
    }
    total_bytes_ = f->total_bytes;
    bytes_per_token_ = f->bytes_per_token;
    fillComparison(*type);
    formula_->setText(QString::fromStdString(f->formula));
    result_->setText(tr("%1 bytes = %2 = %3   (%4 per token)")
                         .arg(QString::fromStdString(kvs::group_thousands(f->total_bytes)))
                         .arg(QString::fromStdString(kvs::format_binary_bytes(double(f->total_bytes))))
                         .arg(QString::fromStdString(kvs::format_decimal_bytes(double(f->total_bytes))))
                         .arg(QString::fromStdString(kvs::format_binary_bytes(double(f->bytes_per_token)))));
}

void MemoryCalculatorView::fillComparison(const kvs::KvStorageType& type) {
    auto presets = kvs::model_presets();
    if (!presets || !comparison_) return;
    comparison_title_->setText(tr("Every preset at %1 tokens × %2 in %3")
                                   .arg(QLocale().toString(tokens_->value()))
                                   .arg(batch_->value() == 1 ? tr("1 sequence") : tr("%1 sequences").arg(batch_->value()))
                                   .arg(QString::fromStdString(type.name)));
    comparison_->setRowCount(int(presets->size()));
    int row = 0;
    for (const auto& p : *presets) {
        const auto& c = p.config;
        auto f = kvs::kv_footprint(kvs::KvShape{c.n_layers, c.n_kv_heads, c.head_dim()}, tokens_->value(),
                                   batch_->value(), type);
        auto* name = new QTableWidgetItem(QString::fromStdString(p.display_name));
        name->setData(Qt::UserRole, QString::fromStdString(p.name));
        name->setToolTip(tr("%1 layers × %2 KV heads × head_dim %3").arg(c.n_layers).arg(c.n_kv_heads).arg(c.head_dim()));
        comparison_->setItem(row, 0, name);
        for (int col : {1, 2}) {
            const double bytes = !f ? 0.0 : double(col == 1 ? f->bytes_per_token : f->total_bytes);
            auto* item = new QTableWidgetItem(f ? QString::fromStdString(kvs::format_binary_bytes(bytes)) : tr("n/a"));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            comparison_->setItem(row, col, item);
        }
        ++row;
    }
}

}  // namespace kvs::ui
