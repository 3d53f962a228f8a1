#pragma once
// Renders part of a causal attention matrix at a finer level of detail than the live image of
// the whole (AttentionImageBuilder bins a long matrix into at most 1024 pixels a side): a
// zoomed-in window of a 4096-position matrix is drawn from the probabilities themselves, one
// pixel per bin x bin cells, area averaged like the whole image, so no row is ever skipped.
#include <QImage>
#include <QRect>

namespace kvs::ui {

struct AttentionMatrix;

class AttentionWindowRenderer {
public:
    // The image of `cells` (x = keys, y = queries; clipped to the matrix) at `bin` cells a
    // pixel. Kept for the next call: asking again for the same window, bin and matrix rows
    // reads nothing (a decode step that adds rows below the window changes nothing in it).
    const QImage& render(const AttentionMatrix& m, const QRect& cells, int bin);
    QRect cells() const { return cells_; }  // the cells the last image covers
    int bin() const { return bin_; }
    qint64 cellsRead() const { return cells_read_; }
    void reset() { image_ = {}, cells_ = {}, bin_ = 0, rows_in_ = 0, rewrites_ = -1; }

private:
    QImage image_;
    QRect cells_;
    int bin_ = 0;
    int rows_in_ = 0;   // matrix rows inside the window when it was rendered
    int rewrites_ = -1;
    qint64 cells_read_ = 0;
};

}  // namespace kvs::ui
