#include "sequence_selector.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>

#include "run_data.h"

namespace kvs::ui {

SequenceSelector::SequenceSelector(RunData* run, QWidget* parent) : QWidget(parent), run_(run) {
    label_ = new QLabel(tr("Sequence"), this);
    combo_ = new QComboBox(this);
    combo_->setObjectName("sequenceSelector");
    combo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    combo_->setToolTip(tr("The sequence every view shows (the block pool view shows them all)."));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 0, 0);
    layout->addWidget(label_);
    layout->addWidget(combo_);
    connect(combo_, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!filling_ && index >= 0) run_->setSelectedSequence(combo_->itemData(index).toInt());
    });
    connect(run_, &RunData::runStarted, this, &SequenceSelector::onRunStarted);
    connect(run_, &RunData::cleared, this, &SequenceSelector::onRunStarted);
    connect(run_, &RunData::sequenceChanged, this, &SequenceSelector::onSequenceChanged);
    onRunStarted();
}

void SequenceSelector::onRunStarted() {
    const auto seqs = run_->sequences();
    filling_ = true;
    combo_->clear();
    for (const auto& s : seqs) {
        QString text = prompt_text(s).simplified();
        if (text.size() > 40) text = text.left(39) + QChar(0x2026);
        combo_->addItem(tr("%1: %2").arg(s.sequence).arg(text), s.sequence);
    }
    filling_ = false;
    onSequenceChanged();
}

void SequenceSelector::onSequenceChanged() {
    const int i = combo_->findData(run_->selectedSequence());
    if (i >= 0 && i != combo_->currentIndex()) {
        filling_ = true;
        combo_->setCurrentIndex(i);
        filling_ = false;
    }
}

}  // namespace kvs::ui
