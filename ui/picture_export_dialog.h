#pragma once
// File > Export > "This view for slides or a paper": the chart alone at a chosen size and
// resolution (1920 x 1080 for a slide, 300 dpi for print), as PNG, SVG or PDF.
#include <QDialog>

#include "views/chart_exporter.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace kvs::ui {

class PictureExportDialog : public QDialog {
    Q_OBJECT
public:
    PictureExportDialog(const QString& suggested_path, QWidget* parent = nullptr);
    QString path() const;
    PictureSize picture() const;
    ExportFormat format() const { return export_format_for(path()); }

private:
    void applyPreset(int index);

    QLineEdit* path_;
    QComboBox* preset_;
    QSpinBox* width_;
    QSpinBox* height_;
    QSpinBox* dpi_;
};

}  // namespace kvs::ui
