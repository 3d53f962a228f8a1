#include "logit_lens_box.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kvs::ui {

LogitLensBox::LogitLensBox(QWidget* parent) : QGroupBox(tr("Logit lens of the selected step"), parent) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    title_ = new QLabel(tr("What each layer's residual stream would predict through the final norm and classifier."));
    title_->setWordWrap(true);
    show_ = new QPushButton(tr("Show the logit lens of this step"));
    show_->setObjectName("debuggerLens");
    row->addWidget(title_, 1);
    row->addWidget(show_);
    layout->addLayout(row);
    table_ = new QTreeWidget;
    table_->setObjectName("debuggerLensTable");
    table_->setHeaderLabels(
        {tr("Residual after"), tr("Predicts"), tr("Entropy"), tr("Last layer's token here"), tr("Next most likely")});
    table_->setRootIsDecorated(false);
    table_->header()->setStretchLastSection(true);
    table_->setMinimumHeight(120);
    layout->addWidget(table_, 1);
    connect(show_, &QPushButton::clicked, this, [this] {
        if (step_ >= 0) emit lensRequested(step_);
    });
    setStep(-1);
}

void LogitLensBox::setStep(int step) {
    step_ = step;
    show_->setEnabled(step >= 0);
}

void LogitLensBox::clear() {
    table_->clear();
    shown_ = -1;
}

void LogitLensBox::setResult(const LogitLensResult& result) {
    shown_ = result.step;
    const kvs::LogitLens& lens = result.lens;
    title_->setText(tr("Step %1: what the residual stream at position %2 predicts after each layer. The last "
                       "layer's most likely token, '%3', is the model's own prediction (a forced step may have "
                       "taken another).")
                        .arg(result.step)
                        .arg(lens.position)
                        .arg(result.final_label));
    table_->clear();
    for (std::size_t i = 0; i < lens.layers.size(); ++i) {
        const kvs::LensLayer& l = lens.layers[i];
        const QStringList& labels = result.top_labels[i];
        auto* item = new QTreeWidgetItem(table_);
        item->setText(0, l.layer < 0 ? tr("embedding") : tr("layer %1").arg(l.layer));
        item->setText(1, QString("'%1' %2%").arg(labels.value(0)).arg(100.0 * l.top.front().prob, 0, 'f', 1));
        item->setText(2, QString::number(l.entropy, 'f', 2));
        item->setText(3, tr("rank %1, %2%").arg(l.final_rank + 1).arg(100.0 * l.final_prob, 0, 'f', 1));
        QStringList rest;
        for (std::size_t k = 1; k < l.top.size(); ++k)
            rest << QString("'%1' %2%").arg(labels.value(int(k))).arg(100.0 * l.top[k].prob, 0, 'f', 1);
        item->setText(4, rest.join(QStringLiteral("  ")));
        if (l.final_rank == 0) {  // from here on the layers agree with the model's prediction
            QFont bold = item->font(3);
            bold.setBold(true);
            item->setFont(3, bold);
        }
    }
    for (int c = 0; c < 4; ++c) table_->resizeColumnToContents(c);
}

}  // namespace kvs::ui
