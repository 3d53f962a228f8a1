#include "picture_export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace kvs::ui {
namespace {
struct Preset {
    const char* name;
    int width, height, dpi;
};
// Sizes in logical pixels; a slide at 96 dpi fills a 1080p projector, a paper figure is a
// column or a page wide at print resolution.
constexpr Preset kPresets[] = {{"Slide 16:9 (1920 x 1080)", 1920, 1080, 96},
                               {"Slide 4:3 (1600 x 1200)", 1600, 1200, 96},
                               {"Paper, one column (700 x 450 at 300 dpi)", 700, 450, 300},
                               {"Paper, full width (1400 x 700 at 300 dpi)", 1400, 700, 300},
                               {"Custom", 0, 0, 0}};
}  // namespace

PictureExportDialog::PictureExportDialog(const QString& suggested_path, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Export the chart for slides or a paper"));
    path_ = new QLineEdit(suggested_path);
    auto* browse = new QPushButton(tr("Browse\u2026"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString chosen = QFileDialog::getSaveFileName(
            this, tr("Export to"), path_->text(), tr("PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"));
        if (!chosen.isEmpty()) path_->setText(chosen);
    });
    auto* path_row = new QHBoxLayout;
    path_row->addWidget(path_, 1);
    path_row->addWidget(browse);

    preset_ = new QComboBox;
    for (const Preset& p : kPresets) preset_->addItem(tr(p.name));
    auto spin = [](int lo, int hi, int value, const QString& suffix) {
        auto* s = new QSpinBox;
        s->setRange(lo, hi);
        s->setValue(value);
        s->setSuffix(suffix);
        return s;
    };
    width_ = spin(64, 10000, 1920, tr(" px"));
    height_ = spin(64, 10000, 1080, tr(" px"));
    dpi_ = spin(24, 2400, 96, tr(" dpi"));
    dpi_->setToolTip(tr("PNG only: 96 draws one pixel per logical pixel, 300 draws text and lines sharp for print. "
                        "SVG and PDF are vector pictures of the size above."));
    connect(preset_, &QComboBox::currentIndexChanged, this, &PictureExportDialog::applyPreset);
    for (QSpinBox* s : {width_, height_, dpi_})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            const Preset& p = kPresets[preset_->currentIndex()];
            if (width_->value() != p.width || height_->value() != p.height || dpi_->value() != p.dpi)
                preset_->setCurrentIndex(preset_->count() - 1);  // Custom
        });

    auto* form = new QFormLayout;
    form->addRow(tr("File (.png, .svg, .pdf)"), path_row);
    form->addRow(tr("Size"), preset_);
    form->addRow(tr("Width"), width_);
    form->addRow(tr("Height"), height_);
    form->addRow(tr("Resolution"), dpi_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    applyPreset(0);
}

void PictureExportDialog::applyPreset(int index) {
    const Preset& p = kPresets[index];
    if (p.width == 0) return;  // Custom keeps the numbers
    width_->setValue(p.width);
    height_->setValue(p.height);
    dpi_->setValue(p.dpi);
    preset_->setCurrentIndex(index);
}

QString PictureExportDialog::path() const { return path_->text().trimmed(); }

PictureSize PictureExportDialog::picture() const { return {QSize(width_->value(), height_->value()), dpi_->value()}; }

}  // namespace kvs::ui
