#pragma once
// A [rows, columns] matrix of signed values as a blue-white-red heatmap with a symmetric scale
// (white = 0), axis captions, a legend and a hover tooltip with the value. More rows than
// kMaxImageRows (a long cache) share image rows: each pixel shows the value of largest
// magnitude among the rows it covers, so outliers stay visible and the image costs the same
// at any length.
#include <QImage>
#include <QWidget>
#include <utility>
#include <vector>

namespace kvs::ui {

class ValueHeatmap : public QWidget {
    Q_OBJECT
public:
    ValueHeatmap(QString title, QString row_name, QString column_name, QWidget* parent = nullptr);

    // values: [rows, columns] row-major.
    void setMatrix(int rows, int columns, std::vector<float> values);
    const QImage& image() const { return image_; }
    static constexpr int kMaxImageRows = 1024;
    float scaleMax() const { return max_abs_; }
    int rows() const { return rows_; }
    // Rows framed in orange (the positions a selected step wrote); count 0 frames nothing.
    void setHighlightedRows(int first, int count);
    std::pair<int, int> highlightedRows() const { return {highlight_first_, highlight_count_}; }
    int columns() const { return columns_; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    QSize sizeHint() const override { return {360, 420}; }

private:
    QRect matrixRect() const;

    QString title_, row_name_, column_name_;
    int rows_ = 0, columns_ = 0;
    std::vector<float> values_;
    float max_abs_ = 0.0f;
    int highlight_first_ = 0, highlight_count_ = 0;
    QImage image_;
};

}  // namespace kvs::ui
