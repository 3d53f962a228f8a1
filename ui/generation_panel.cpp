#include "generation_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QVBoxLayout>

namespace kvs::ui {

GenerationPanel::GenerationPanel(QWidget* parent) : QWidget(parent) {
    prompt_ = new QPlainTextEdit(this);
    prompt_->setObjectName("promptEditor");
    prompt_->setPlaceholderText(tr("Prompt text; the model continues it."));
    prompt_->setTabChangesFocus(true);
    prompt_->setMaximumHeight(64);
    more_prompts_ = new QPlainTextEdit(this);
    more_prompts_->setObjectName("morePromptsEditor");
    more_prompts_->setPlaceholderText(tr("More prompts, one per line: each is another sequence, decoded together "
                                         "with the first and sharing its KV block pool."));
    more_prompts_->setTabChangesFocus(true);
    more_prompts_->setMaximumHeight(64);

    temperature_ = new QDoubleSpinBox(this);
    temperature_->setRange(0.0, 2.0);
    temperature_->setSingleStep(0.1);
    temperature_->setDecimals(2);
    temperature_->setToolTip(tr("0 samples greedily (always the most likely token); higher values flatten the "
                                "distribution before sampling."));
    top_k_ = new QSpinBox(this);
    top_k_->setRange(0, 100000);
    top_k_->setSpecialValueText(tr("off"));
    top_k_->setToolTip(tr("Sample only among the k most likely tokens (0 = off)."));
    top_p_ = new QDoubleSpinBox(this);
    top_p_->setRange(0.01, 1.0);
    top_p_->setSingleStep(0.05);
    top_p_->setValue(1.0);
    top_p_->setToolTip(tr("Nucleus sampling: the smallest set of tokens whose probabilities add up to p (1 = off)."));
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 2147483647);
    seed_->setValue(42);
    seed_->setToolTip(tr("Random seed: the same seed gives the same tokens."));
    max_new_ = new QSpinBox(this);
    max_new_->setRange(1, 1 << 20);
    max_new_->setValue(100);
    max_new_->setToolTip(tr("Tokens a run generates (the prefill's token counts as the first)."));

    backend_ = new QComboBox(this);
    backend_->addItem(tr("CPU (Eigen)"), "cpu");
    backend_->addItem(tr("Vulkan"), "vulkan");
    backend_->setToolTip(tr("Where the forward pass runs. Vulkan falls back to the CPU when no device is usable; "
                            "the status bar says why."));
    device_ = new QLineEdit(this);
    device_->setObjectName("deviceEdit");
    device_->setPlaceholderText(tr("best available"));
    device_->setToolTip(tr("Vulkan device: its index or part of its name (e.g. 0, NVIDIA, llvmpipe); empty picks "
                           "the best one. The status bar shows the device in use."));
    kv_dtype_ = new QComboBox(this);
    kv_dtype_->addItem(tr("f32 (4 bytes)"), int(kvs::KvDtype::F32));
    kv_dtype_->addItem(tr("f16 (2 bytes)"), int(kvs::KvDtype::F16));
    kv_dtype_->setObjectName("kvDtypeCombo");
    kv_dtype_->setToolTip(tr("How the cache stores K and V, on either backend. f16 halves the cache, as GPUs store it; "
                             "attention reads the values back as f32."));
    auto vulkan_only = [this] { device_->setEnabled(backend_->currentData().toString() == "vulkan"); };
    connect(backend_, &QComboBox::currentIndexChanged, this, vulkan_only);
    vulkan_only();
    use_cache_ = new QCheckBox(tr("Use the KV cache"), this);
    use_cache_->setChecked(true);
    use_cache_->setToolTip(tr("Off: every step recomputes the whole sequence (O(S\u00b2) attention), "
                              "to compare with the cached O(S) step."));
    capture_ = new QComboBox(this);
    capture_->addItem(tr("Off"), int(kvs::AttentionCapture::Mode::Off));
    capture_->addItem(tr("New rows"), int(kvs::AttentionCapture::Mode::NewRows));
    capture_->addItem(tr("Full matrices"), int(kvs::AttentionCapture::Mode::Full));
    capture_->setCurrentIndex(1);
    capture_->setToolTip(tr("Attention probabilities sent to the attention views. New rows: each step adds the rows "
                            "of the positions it computed. Capturing costs a copy per step."));
    block_size_ = new QSpinBox(this);
    block_size_->setObjectName("blockSizeBox");
    block_size_->setRange(0, 4096);
    block_size_->setValue(16);
    block_size_->setSpecialValueText(tr("contiguous"));
    block_size_->setToolTip(tr("Positions per KV cache block (paged cache). A sequence holds whole blocks; 0 gives "
                               "each sequence one contiguous block of the whole context."));
    prefix_cache_ = new QCheckBox(tr("Share prompt prefixes"), this);
    prefix_cache_->setObjectName("prefixCacheBox");
    prefix_cache_->setToolTip(tr("Prefix cache: a prompt starting like an earlier one reuses its full blocks instead "
                                 "of computing them (prompts are then prefilled one after another)."));

    auto* form = new QFormLayout;
    form->addRow(tr("Temperature"), temperature_);
    form->addRow(tr("Top-k"), top_k_);
    form->addRow(tr("Top-p"), top_p_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Max new tokens"), max_new_);
    form->addRow(tr("Backend"), backend_);
    form->addRow(tr("Device"), device_);
    form->addRow(tr("Cache type"), kv_dtype_);
    form->addRow(QString(), use_cache_);
    form->addRow(tr("Block size"), block_size_);
    form->addRow(QString(), prefix_cache_);
    form->addRow(tr("Attention capture"), capture_);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Prompt"), this));
    layout->addWidget(prompt_);
    layout->addWidget(new QLabel(tr("More prompts (one sequence each)"), this));
    layout->addWidget(more_prompts_);
    layout->addLayout(form);
    layout->addStretch(1);

    connect(prompt_, &QPlainTextEdit::textChanged, this, &GenerationPanel::settingsChanged);
    connect(more_prompts_, &QPlainTextEdit::textChanged, this, &GenerationPanel::settingsChanged);
    connect(block_size_, &QSpinBox::valueChanged, this, &GenerationPanel::settingsChanged);
    connect(prefix_cache_, &QCheckBox::toggled, this, &GenerationPanel::settingsChanged);
    connect(temperature_, &QDoubleSpinBox::valueChanged, this, &GenerationPanel::settingsChanged);
    connect(top_k_, &QSpinBox::valueChanged, this, &GenerationPanel::settingsChanged);
    connect(top_p_, &QDoubleSpinBox::valueChanged, this, &GenerationPanel::settingsChanged);
    connect(seed_, &QSpinBox::valueChanged, this, &GenerationPanel::settingsChanged);
    connect(backend_, &QComboBox::currentIndexChanged, this, &GenerationPanel::settingsChanged);
    connect(device_, &QLineEdit::editingFinished, this, &GenerationPanel::settingsChanged);
    connect(kv_dtype_, &QComboBox::currentIndexChanged, this, &GenerationPanel::settingsChanged);
    connect(use_cache_, &QCheckBox::toggled, this, &GenerationPanel::settingsChanged);
    connect(capture_, &QComboBox::currentIndexChanged, this, &GenerationPanel::settingsChanged);
}

RunSettings GenerationPanel::settings() const {
    RunSettings s;
    s.prompt = prompt_->toPlainText();
    for (const QString& line : more_prompts_->toPlainText().split('\n'))
        if (!line.trimmed().isEmpty()) s.more_prompts << line;
    s.block_size = block_size_->value();
    s.prefix_cache = prefix_cache_->isChecked();
    s.sampling.temperature = float(temperature_->value());
    s.sampling.top_k = top_k_->value();
    s.sampling.top_p = float(top_p_->value());
    s.sampling.seed = std::uint64_t(seed_->value());
    s.backend = backend_->currentData().toString();
    if (s.backend == "vulkan") s.device = device_->text().trimmed();
    s.kv_dtype = kvs::KvDtype(kv_dtype_->currentData().toInt());
    s.use_cache = use_cache_->isChecked();
    s.capture.mode = kvs::AttentionCapture::Mode(capture_->currentData().toInt());
    return s;
}

int GenerationPanel::maxNewTokens() const { return max_new_->value(); }

void GenerationPanel::setPrompt(const QString& prompt) { prompt_->setPlainText(prompt); }

void GenerationPanel::setMorePrompts(const QStringList& prompts) { more_prompts_->setPlainText(prompts.join('\n')); }

void GenerationPanel::setBlockSize(int positions) { block_size_->setValue(positions); }

void GenerationPanel::setPrefixCache(bool on) { prefix_cache_->setChecked(on); }

void GenerationPanel::setBackend(const QString& backend) {
    const int i = backend_->findData(backend);
    if (i >= 0) backend_->setCurrentIndex(i);
}

void GenerationPanel::setMaxNewTokens(int n) { max_new_->setValue(n); }

void GenerationPanel::setContextLength(int positions) {
    if (positions <= 1) return;
    // The limit is shown, not only enforced: a model with a 16-position context cannot make 100
    // new tokens, and the box says why its number dropped.
    max_new_->setMaximum(positions);
    max_new_->setSuffix(tr("  (context %1)").arg(positions));
    max_new_->setToolTip(tr("Tokens a run generates (the prefill's token counts as the first). The model's context "
                            "holds %1 positions, prompt included: a run stops at that limit.")
                             .arg(positions));
}

void GenerationPanel::setUseCache(bool on) { use_cache_->setChecked(on); }

void GenerationPanel::setSampling(double temperature, int seed) {
    temperature_->setValue(temperature);
    seed_->setValue(seed);
}

void GenerationPanel::setCaptureMode(kvs::AttentionCapture::Mode mode) {
    const int i = capture_->findData(int(mode));
    if (i >= 0) capture_->setCurrentIndex(i);
}

}  // namespace kvs::ui
