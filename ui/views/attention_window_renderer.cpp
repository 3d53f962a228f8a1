#include "views/attention_window_renderer.h"

#include <algorithm>
#include <vector>

#include "run_data.h"
#include "views/attention_image.h"
#include "views/color_maps.h"

namespace kvs::ui {

const QImage& AttentionWindowRenderer::render(const AttentionMatrix& m, const QRect& wanted, int bin) {
    const QRect cells = wanted.intersected(QRect(0, 0, m.size, m.size));
    bin = std::max(1, bin);
    const int rows_in = std::clamp(m.size - cells.top(), 0, cells.height());
    if (cells == cells_ && bin == bin_ && rows_in == rows_in_ && m.rewrites == rewrites_) return image_;
    cells_ = cells, bin_ = bin, rows_in_ = rows_in, rewrites_ = m.rewrites;
    if (cells.isEmpty()) {
        image_ = {};
        return image_;
    }
    const int w = (cells.width() + bin - 1) / bin, h = (cells.height() + bin - 1) / bin;
    image_ = QImage(w, h, QImage::Format_RGB32);
    std::vector<double> sums(static_cast<std::size_t>(w));
    std::vector<int> counts(static_cast<std::size_t>(w));
    for (int py = 0; py < h; ++py) {
        std::fill(sums.begin(), sums.end(), 0.0);
        std::fill(counts.begin(), counts.end(), 0);
        const int q_end = std::min({cells.top() + (py + 1) * bin, cells.bottom() + 1, m.size});
        for (int q = cells.top() + py * bin; q < q_end; ++q) {
            const auto& row = m.rows[std::size_t(q)];
            // Causal: query q sees keys 0..q.
            const int k_end = std::min({cells.right() + 1, q + 1, int(row.size())});
            for (int k = cells.left(); k < k_end; ++k) {
                const std::size_t px = std::size_t((k - cells.left()) / bin);
                sums[px] += row[std::size_t(k)];
                ++counts[px];
            }
            cells_read_ += std::max(0, k_end - cells.left());
        }
        auto* line = reinterpret_cast<QRgb*>(image_.scanLine(py));
        for (int px = 0; px < w; ++px)
            line[px] = counts[std::size_t(px)] > 0 ? attention_color(float(sums[std::size_t(px)] / counts[std::size_t(px)]))
                                                    : masked_color();
    }
    return image_;
}

}  // namespace kvs::ui
