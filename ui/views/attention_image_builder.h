#pragma once
// The image of one growing causal attention matrix, kept up to date row by row. A decode step
// adds one query row, so a refresh reads only the rows that arrived and recolours only the
// pixel rows they fall into; the image is never rendered from scratch while the run grows.
//
// A matrix larger than the image is reduced by area averaging over bins of bin() x bin() cells
// (a power of two): each pixel is the mean probability of the visible (causal) cells it covers,
// so thin lines survive. When the matrix outgrows the image, the bin doubles and every 2 x 2
// block of bins is merged: work proportional to the image, not to the matrix. Masked cells
// (key after query) are light grey; colour encodes sqrt(p) (attention_color).
#include <QImage>
#include <vector>

namespace kvs::ui {

struct AttentionMatrix;

class AttentionImageBuilder {
public:
    explicit AttentionImageBuilder(int max_side);

    // Adds the rows of `m` not added yet (a matrix that shrank or whose rows were written again
    // starts over). Reads at most about `budget_cells` matrix entries (0 = no limit) and returns
    // true when every row is in.
    bool update(const AttentionMatrix& m, qint64 budget_cells = 0);
    void reset();

    // The pixels in use are the top-left cells() x cells() of image().
    const QImage& image() const { return image_; }
    QImage usedImage() const { return image_.copy(0, 0, cells(), cells()); }
    int cells() const { return bin_ > 0 ? (rows_ + bin_ - 1) / bin_ : 0; }
    int bin() const { return bin_; }
    int rows() const { return rows_; }  // matrix rows added

    // Work done so far: matrix entries read, pixels coloured, and times every pixel was
    // coloured again (a new bin size or a start over).
    qint64 cellsRead() const { return cells_read_; }
    qint64 pixelsColored() const { return pixels_colored_; }
    int fullRecolors() const { return full_recolors_; }

private:
    void addRow(const std::vector<float>& row, int q);
    void mergeBins();
    void recolor(int first_pixel_row, int last_pixel_row);

    int side_;
    int bin_ = 1;
    int rows_ = 0;
    int rewrites_seen_ = 0;
    std::vector<double> sums_;  // [side, side] probability sums per bin
    std::vector<int> counts_;   // [side, side] visible cells per bin
    QImage image_;
    qint64 cells_read_ = 0, pixels_colored_ = 0;
    int full_recolors_ = 0;
};

}  // namespace kvs::ui
