#include "model_panel.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "human_units.h"
#include "synthetic_presets.h"

namespace kvs::ui {

namespace {
enum ItemRole { PathRole = Qt::UserRole + 1, TokenizerRole, PresetRole };
constexpr int kMaxRecent = 10;
const char* kRecentKey = "recentModels";
}  // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
    info_ = new QLabel(tr("No model loaded."), this);
    info_->setObjectName("modelInfo");
    info_->setWordWrap(false);  // short fixed lines: a wrapped label in a dock gets clipped
    info_->setTextFormat(Qt::RichText);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    info_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);  // never squeezed by the list

    auto* open_file = new QPushButton(tr("Open file\u2026"), this);
    open_file->setToolTip(tr("A llama2.c checkpoint (.bin) or a GGUF file (Ctrl+O)"));
    auto* open_folder = new QPushButton(tr("Open folder\u2026"), this);
    open_folder->setToolTip(tr("A Hugging Face model folder: config.json with *.safetensors"));
    connect(open_file, &QPushButton::clicked, this, &ModelPanel::openFileDialog);
    connect(open_folder, &QPushButton::clicked, this, &ModelPanel::openFolderDialog);

    tokenizer_ = new QLineEdit(this);
    tokenizer_->setPlaceholderText(tr("tokenizer.bin (llama2.c files; found beside the model if empty)"));
    auto* browse = new QPushButton(tr("\u2026"), this);
    browse->setToolTip(tr("Choose the tokenizer.bin for llama2.c checkpoints"));
    connect(browse, &QPushButton::clicked, this, &ModelPanel::browseTokenizer);

    tree_ = new QTreeWidget(this);
    tree_->setObjectName("modelTree");
    tree_->setColumnCount(2);
    tree_->setHeaderLabels({tr("Model"), tr("Format")});
    tree_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    tree_->header()->setStretchLastSection(false);
    tree_->setToolTip(tr("Double-click a model to load it."));
    tree_->setMinimumHeight(220);  // about ten models: the panel scrolls when the window is short
    recent_ = new QTreeWidgetItem(tree_, {tr("Recent")});
    found_ = new QTreeWidgetItem(tree_, {tr("Found on disk")});
    synthetic_ = new QTreeWidgetItem(tree_, {tr("Synthetic (random weights, real shapes)")});
    for (auto* group : {recent_, found_, synthetic_}) {
        group->setFlags(Qt::ItemIsEnabled);
        QFont f = group->font(0);
        f.setBold(true);
        group->setFont(0, f);
    }
    for (const QString& preset : synthetic_preset_names()) {
        auto* item = new QTreeWidgetItem(synthetic_, {preset, tr("synthetic")});
        item->setData(0, PresetRole, preset);
    }
    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) { activate(item); });

    synthetic_layers_ = new QSpinBox(this);
    synthetic_layers_->setRange(0, 200);
    synthetic_layers_->setSpecialValueText(tr("as preset"));
    synthetic_layers_->setToolTip(tr("Build synthetic models with fewer layers to keep large shapes fast."));

    auto* load = new QPushButton(tr("Load selected"), this);
    connect(load, &QPushButton::clicked, this, [this] { activate(tree_->currentItem()); });
    auto* rescan_button = new QPushButton(tr("Rescan"), this);
    rescan_button->setToolTip(tr("Look again in ../shared/models, ~/.cache/huggingface/hub and $KVSCOPE_MODEL_PATH"));
    connect(rescan_button, &QPushButton::clicked, this, &ModelPanel::rescan);

    auto* open_row = new QHBoxLayout;
    open_row->addWidget(open_file);
    open_row->addWidget(open_folder);
    auto* tokenizer_row = new QHBoxLayout;
    tokenizer_row->addWidget(new QLabel(tr("Tokenizer"), this));
    tokenizer_row->addWidget(tokenizer_, 1);
    tokenizer_row->addWidget(browse);
    auto* bottom_row = new QHBoxLayout;
    bottom_row->addWidget(new QLabel(tr("Synthetic layers"), this));
    bottom_row->addWidget(synthetic_layers_);
    bottom_row->addStretch(1);
    bottom_row->addWidget(rescan_button);
    bottom_row->addWidget(load);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(info_);
    layout->addLayout(open_row);
    layout->addLayout(tokenizer_row);
    layout->addWidget(tree_, 1);
    layout->addLayout(bottom_row);

    fillRecent();
    tree_->expandAll();
}

void ModelPanel::activate(QTreeWidgetItem* item) {
    if (!item) return;
    const QString preset = item->data(0, PresetRole).toString();
    if (!preset.isEmpty()) {
        emit loadSyntheticRequested(preset, synthetic_layers_->value());
        return;
    }
    const QString path = item->data(0, PathRole).toString();
    if (path.isEmpty()) return;
    QString tokenizer = item->data(0, TokenizerRole).toString();
    if (tokenizer.isEmpty()) tokenizer = tokenizer_->text();
    emit loadModelRequested(path, tokenizer);
}

void ModelPanel::openFileDialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), QString(),
                                                      tr("Models (*.bin *.gguf);;All files (*)"));
    if (path.isEmpty()) return;
    QString tokenizer = tokenizer_->text();
    if (tokenizer.isEmpty() && !path.endsWith(".gguf", Qt::CaseInsensitive)) tokenizer = tokenizer_beside(path);
    emit loadModelRequested(path, tokenizer);
}

void ModelPanel::openFolderDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
    if (!dir.isEmpty()) emit loadModelRequested(dir, {});
}

void ModelPanel::browseTokenizer() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose tokenizer"), QString(),
                                                      tr("llama2.c tokenizer (*.bin);;All files (*)"));
    if (!path.isEmpty()) tokenizer_->setText(path);
}

void ModelPanel::addRecent(const QString& path, const QString& tokenizer) {
    QSettings settings;
    QVariantList list = settings.value(kRecentKey).toList();
    for (int i = int(list.size()) - 1; i >= 0; --i)
        if (list[i].toMap().value("path").toString() == path) list.removeAt(i);
    list.prepend(QVariantMap{{"path", path}, {"tokenizer", tokenizer}});
    while (list.size() > kMaxRecent) list.removeLast();
    settings.setValue(kRecentKey, list);
    fillRecent();
}

QStringList ModelPanel::recentPaths() const {
    QStringList paths;
    for (const QVariant& v : QSettings().value(kRecentKey).toList()) paths << v.toMap().value("path").toString();
    return paths;
}

void ModelPanel::fillRecent() {
    qDeleteAll(recent_->takeChildren());
    for (const QVariant& v : QSettings().value(kRecentKey).toList()) {
        const QVariantMap m = v.toMap();
        const QString path = m.value("path").toString();
        if (path.isEmpty()) continue;
        const QFileInfo info(path);
        // A file moved or deleted since stays listed, greyed, so the user sees what went away.
        auto* item = new QTreeWidgetItem(recent_, {info.fileName(), info.exists() ? model_format_of(path) : tr("missing")});
        item->setData(0, PathRole, path);
        item->setData(0, TokenizerRole, m.value("tokenizer").toString());
        item->setToolTip(0, path);
        if (!info.exists()) item->setDisabled(true);
    }
    recent_->setExpanded(true);
}

void ModelPanel::setDiscoveryRoots(const DiscoveryRoots& roots) {
    roots_ = roots;
    rescan();
}

void ModelPanel::rescan() {
    qDeleteAll(found_->takeChildren());
    for (const DiscoveredModel& m : discover_models(roots_)) {
        auto* item = new QTreeWidgetItem(found_, {m.name, m.format});
        item->setData(0, PathRole, m.path);
        item->setData(0, TokenizerRole, m.tokenizer);
        item->setToolTip(0, m.tokenizer.isEmpty() ? m.path : tr("%1\ntokenizer: %2").arg(m.path, m.tokenizer));
    }
    found_->setExpanded(true);
}

int ModelPanel::discoveredCount() const { return found_->childCount(); }
int ModelPanel::syntheticCount() const { return synthetic_->childCount(); }

void ModelPanel::showModel(const ModelInfo& m) {
    const QString gqa = m.kv_heads < m.heads ? tr(" (GQA, %1 per group)").arg(m.heads / std::max(1, m.kv_heads))
                                             : QString();
    QString text = tr("<b>%1</b> &middot; %2 &middot; %3<br>"
                      "%4 layers, %5 heads, %6 KV heads%7<br>"
                      "d_model %8, head_dim %9, FFN %10<br>"
                      "vocab %11, context %12, %13 parameters<br>"
                      "KV cache: %14 per token (f32)")
                       .arg(m.name.toHtmlEscaped(), m.architecture, m.format)
                       .arg(m.layers)
                       .arg(m.heads)
                       .arg(m.kv_heads)
                       .arg(gqa)
                       .arg(m.dim)
                       .arg(m.head_dim)
                       .arg(m.hidden_dim)
                       .arg(m.vocab_size)
                       .arg(m.context)
                       .arg(human_count(double(m.parameters)), human_bytes(m.kv_bytes_per_token_f32));
    QString tip = m.source;
    if (m.random_weights) {
        // Short lines (the label does not wrap); the whole story is in the tooltip.
        text += tr("<br><b>Random weights</b>: real shapes, memory and speed;<br>the generated text is noise");
        const QString tokenizer = m.tokenizer_name == "bytes" ? tr("one token per byte") : m.tokenizer_name;
        text += tr("<br>Tokenizer: %1").arg(tokenizer.toHtmlEscaped());
        tip += tr("\nWeights: seeded random numbers drawn like an initialisation, not a trained model."
                  "\nTokenizer: %1").arg(m.tokenizer_note);
    }
    info_->setText(text);
    info_->setToolTip(tip);
}

QString ModelPanel::summaryText() const { return info_->text(); }

}  // namespace kvs::ui
