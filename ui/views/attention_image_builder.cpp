#include "views/attention_image_builder.h"

#include <algorithm>

#include "run_data.h"
#include "views/attention_image.h"
#include "views/color_maps.h"

namespace kvs::ui {

AttentionImageBuilder::AttentionImageBuilder(int max_side) : side_(std::max(1, max_side)) { reset(); }

void AttentionImageBuilder::reset() {
    bin_ = 1;
    rows_ = 0;
    rewrites_seen_ = 0;
    sums_.assign(std::size_t(side_) * side_, 0.0);
    counts_.assign(std::size_t(side_) * side_, 0);
    image_ = QImage(side_, side_, QImage::Format_RGB32);
    image_.fill(masked_color());
}

bool AttentionImageBuilder::update(const AttentionMatrix& m, qint64 budget_cells) {
    if (m.size < rows_ || m.rewrites != rewrites_seen_) {
        reset();
        rewrites_seen_ = m.rewrites;
        ++full_recolors_;
    }
    if (rows_ >= m.size) return true;
    const int first_pixel_row = rows_ / bin_;
    const int bin_before = bin_;
    qint64 read = 0;
    while (rows_ < m.size && (budget_cells <= 0 || read < budget_cells)) {
        if (rows_ / bin_ >= side_) mergeBins();
        addRow(m.rows[std::size_t(rows_)], rows_);
        read += rows_ + 1;
        ++rows_;
    }
    cells_read_ += read;
    // Pixel rows that received cells; after a merge, every pixel changed.
    if (bin_ != bin_before) {
        image_.fill(masked_color());
        ++full_recolors_;
        recolor(0, cells() - 1);
    } else {
        recolor(first_pixel_row, (rows_ - 1) / bin_);
    }
    return rows_ >= m.size;
}

void AttentionImageBuilder::addRow(const std::vector<float>& row, int q) {
    // Causal: query q sees keys 0..q; a row may be shorter than that only if malformed.
    const int keys = std::min(q + 1, int(row.size()));
    double* sums = sums_.data() + std::size_t(q / bin_) * side_;
    int* counts = counts_.data() + std::size_t(q / bin_) * side_;
    for (int k0 = 0; k0 < keys; k0 += bin_) {
        const int k1 = std::min(keys, k0 + bin_);
        double s = 0.0;
        for (int k = k0; k < k1; ++k) s += row[std::size_t(k)];
        sums[k0 / bin_] += s;
        counts[k0 / bin_] += k1 - k0;
    }
}

void AttentionImageBuilder::mergeBins() {
    // Bins of twice the size: each new bin (r, c) is the old bins 2r..2r+1 x 2c..2c+1.
    const int half = side_ / 2 + side_ % 2;
    for (int r = 0; r < half; ++r)
        for (int c = 0; c < half; ++c) {
            double s = 0.0;
            int n = 0;
            for (int dr = 0; dr < 2; ++dr)
                for (int dc = 0; dc < 2; ++dc) {
                    const int rr = 2 * r + dr, cc = 2 * c + dc;
                    if (rr >= side_ || cc >= side_) continue;
                    s += sums_[std::size_t(rr) * side_ + cc];
                    n += counts_[std::size_t(rr) * side_ + cc];
                }
            sums_[std::size_t(r) * side_ + c] = s;
            counts_[std::size_t(r) * side_ + c] = n;
        }
    for (int r = 0; r < side_; ++r)
        for (int c = 0; c < side_; ++c)
            if (r >= half || c >= half) {
                sums_[std::size_t(r) * side_ + c] = 0.0;
                counts_[std::size_t(r) * side_ + c] = 0;
            }
    bin_ *= 2;
}

void AttentionImageBuilder::recolor(int first, int last) {
    const int used = cells();
    last = std::min(last, side_ - 1);
    for (int r = std::max(0, first); r <= last; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image_.scanLine(r));
        const double* sums = sums_.data() + std::size_t(r) * side_;
        const int* counts = counts_.data() + std::size_t(r) * side_;
        for (int c = 0; c < used; ++c)
            line[c] = counts[c] > 0 ? attention_color(float(sums[c] / counts[c])) : masked_color();
        pixels_colored_ += used;
    }
}

}  // namespace kvs::ui
