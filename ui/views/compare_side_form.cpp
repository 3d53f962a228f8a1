#include "views/compare_side_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QSpinBox>

namespace kvs::ui {

CompareSideForm::CompareSideForm(const QString& title, QWidget* parent) : QGroupBox(title, parent) {
    backend_ = new QComboBox;
    backend_->addItem(tr("CPU"), QStringLiteral("cpu"));
    backend_->addItem(tr("Vulkan"), QStringLiteral("vulkan"));
    backend_->setToolTip(tr("Vulkan falls back to the CPU when no device is found (the window says why)."));
    cache_ = new QCheckBox(tr("KV cache"));
    cache_->setToolTip(tr("Off: every step clears the cache and recomputes the whole sequence so far."));
    dtype_ = new QComboBox;
    dtype_->addItem(QStringLiteral("f32"), int(kvs::KvDtype::F32));
    dtype_->addItem(QStringLiteral("f16"), int(kvs::KvDtype::F16));
    dtype_->setToolTip(tr("How the cache stores K and V."));
    temperature_ = new QDoubleSpinBox;
    temperature_->setRange(0.0, 5.0);
    temperature_->setSingleStep(0.1);
    temperature_->setDecimals(2);
    temperature_->setToolTip(tr("0 = greedy (always the most likely token)."));
    top_k_ = new QSpinBox;
    top_k_->setRange(0, 1000000);
    top_k_->setSpecialValueText(tr("off"));
    top_p_ = new QDoubleSpinBox;
    top_p_->setRange(0.01, 1.0);
    top_p_->setSingleStep(0.05);
    top_p_->setDecimals(2);
    seed_ = new QSpinBox;
    seed_->setRange(0, 2147483647);

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(6, 4, 6, 4);
    grid->addWidget(backend_, 0, 0);
    grid->addWidget(cache_, 0, 1);
    grid->addWidget(dtype_, 0, 2);
    grid->addWidget(new QLabel(tr("T")), 0, 3, Qt::AlignRight);
    grid->addWidget(temperature_, 0, 4);
    grid->addWidget(new QLabel(tr("top-k")), 1, 0, Qt::AlignRight);
    grid->addWidget(top_k_, 1, 1);
    grid->addWidget(new QLabel(tr("top-p")), 1, 2, Qt::AlignRight);
    grid->addWidget(top_p_, 1, 3, 1, 2);
    grid->addWidget(new QLabel(tr("seed")), 2, 0, Qt::AlignRight);
    grid->addWidget(seed_, 2, 1);
    setSide(CompareSide{});
}

CompareSide CompareSideForm::side() const {
    CompareSide s;
    s.backend = backend_->currentData().toString();
    s.use_cache = cache_->isChecked();
    s.kv_dtype = kvs::KvDtype(dtype_->currentData().toInt());
    s.sampling.temperature = float(temperature_->value());
    s.sampling.top_k = top_k_->value();
    s.sampling.top_p = float(top_p_->value());
    s.sampling.seed = std::uint64_t(seed_->value());
    return s;
}

void CompareSideForm::setSide(const CompareSide& s) {
    backend_->setCurrentIndex(std::max(0, backend_->findData(s.backend)));
    cache_->setChecked(s.use_cache);
    dtype_->setCurrentIndex(std::max(0, dtype_->findData(int(s.kv_dtype))));
    temperature_->setValue(s.sampling.temperature);
    top_k_->setValue(s.sampling.top_k);
    top_p_->setValue(s.sampling.top_p);
    seed_->setValue(int(s.sampling.seed));
}

}  // namespace kvs::ui
