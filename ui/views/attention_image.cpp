#include "views/attention_image.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "run_data.h"
#include "views/color_maps.h"

namespace kvs::ui {

QRgb attention_color(float probability) { return sequential_color(std::sqrt(std::clamp(probability, 0.0f, 1.0f))); }

QImage render_attention_image(const AttentionMatrix& m, int max_side) {
    const int n = m.size;
    if (n <= 0 || max_side <= 0) return {};
    const int side = std::min(n, max_side);
    QImage image(side, side, QImage::Format_RGB32);
    if (side == n) {
        for (int q = 0; q < n; ++q) {
            auto* line = reinterpret_cast<QRgb*>(image.scanLine(q));
            for (int k = 0; k < n; ++k) line[k] = k <= q ? attention_color(m.at(q, k)) : masked_color();
        }
        return image;
    }
    // Bin edges: source index range [edge[i], edge[i+1]) maps to pixel i.
    std::vector<int> edge(side + 1);
    for (int i = 0; i <= side; ++i) edge[i] = int(std::int64_t(i) * n / side);
    std::vector<double> sum(side);
    std::vector<int> count(side);
    for (int r = 0; r < side; ++r) {
        std::fill(sum.begin(), sum.end(), 0.0);
        std::fill(count.begin(), count.end(), 0);
        for (int q = edge[r]; q < edge[r + 1]; ++q) {
            for (int c = 0; c < side && edge[c] <= q; ++c) {
                const int k_end = std::min(edge[c + 1], q + 1);  // causal: keys 0..q
                for (int k = edge[c]; k < k_end; ++k) sum[c] += m.at(q, k);
                count[c] += std::max(0, k_end - edge[c]);
            }
        }
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < side; ++c)
            line[c] = count[c] > 0 ? attention_color(float(sum[c] / count[c])) : masked_color();
    }
    return image;
}

}  // namespace kvs::ui
