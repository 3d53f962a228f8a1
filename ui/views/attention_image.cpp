#include "views/attention_image.h"

#include <algorithm>
#include <cmath>

#include "run_data.h"
#include "views/attention_image_builder.h"
#include "views/color_maps.h"

namespace kvs::ui {

QRgb attention_color(float probability) { return sequential_color(std::sqrt(std::clamp(probability, 0.0f, 1.0f))); }

QImage render_attention_image(const AttentionMatrix& m, int max_side) {
    if (m.size <= 0 || max_side <= 0) return {};
    AttentionImageBuilder builder(max_side);
    builder.update(m);
    return builder.usedImage();
}

}  // namespace kvs::ui
