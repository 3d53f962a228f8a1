#include "first_run_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "synthetic_presets.h"

namespace kvs::ui {

QString FirstRunDialog::downloadHelp() {
    return tr("<p>kvscope looks for models in <code>../shared/models</code> (beside the current folder and beside "
              "the source checkout), in <code>~/.cache/huggingface/hub</code> and in the folders listed in "
              "<code>$KVSCOPE_MODEL_PATH</code> (separated by ':').</p>"
              "<p><b>Tiny Llama-2 story models</b>: download <code>stories15M.bin</code> (or stories42M, stories110M) "
              "and <code>tokenizer.bin</code> from the Hugging Face repository <code>karpathy/tinyllamas</code> "
              "into one folder, then open the .bin file (the tokenizer beside it is found).</p>"
              "<p><b>GPT-2</b>: download <code>config.json</code>, <code>model.safetensors</code>, "
              "<code>vocab.json</code> and <code>merges.txt</code> from <code>openai-community/gpt2</code> into one "
              "folder and open the folder (File &rarr; Open folder).</p>"
              "<p>A <b>synthetic model</b> has a real model's shape with random weights: its text is noise, but its "
              "KV cache, attention sizes and FLOPs are those of the real model.</p>");
}

FirstRunDialog::FirstRunDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Choose a model"));
    auto* intro = new QLabel(tr("<h3>No model found</h3><p>The default model, stories260K, is not in "
                                "<code>../shared/models/stories260K/</code>.</p>") +
                                 downloadHelp(),
                             this);
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::RichText);
    intro->setTextInteractionFlags(Qt::TextBrowserInteraction);

    presets_ = new QComboBox(this);
    presets_->addItems(synthetic_preset_names());
    const int small = presets_->findText(small_synthetic_preset());
    if (small >= 0) presets_->setCurrentIndex(small);
    auto* use_synthetic = new QPushButton(tr("Use synthetic model"), this);
    use_synthetic->setEnabled(presets_->count() > 0);
    auto* open_file = new QPushButton(tr("Open model file\u2026"), this);
    auto* later = new QPushButton(tr("Not now"), this);
    connect(use_synthetic, &QPushButton::clicked, this, [this] {
        choice_ = Choice::Synthetic;
        accept();
    });
    connect(open_file, &QPushButton::clicked, this, [this] {
        choice_ = Choice::OpenFile;
        accept();
    });
    connect(later, &QPushButton::clicked, this, &QDialog::reject);

    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Preset"), this));
    row->addWidget(presets_, 1);
    row->addWidget(use_synthetic);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(open_file);
    buttons->addWidget(later);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(row);
    layout->addLayout(buttons);
    resize(560, 420);
}

QString FirstRunDialog::preset() const { return presets_->currentText(); }

}  // namespace kvs::ui
