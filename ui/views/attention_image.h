#pragma once
// Renders a causal attention matrix to an image once per update; widgets then only scale it.
#include <QImage>

namespace kvs::ui {

struct AttentionMatrix;

// rows = query positions, columns = key positions. A matrix larger than max_side is reduced
// by area averaging: each pixel is the mean probability of the visible (causal) cells it
// covers, so a 2048-token matrix becomes a max_side image without aliasing away thin lines.
// Masked cells (key after query) are light grey. Colour encodes sqrt(p) so that the many small
// weights of a long row stay distinguishable from zero.
QImage render_attention_image(const AttentionMatrix& m, int max_side);

// The colour of a probability on the scale above.
QRgb attention_color(float probability);

}  // namespace kvs::ui
