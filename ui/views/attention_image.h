#pragma once
// Renders a whole causal attention matrix to an image at once (exports, tests); the live views
// keep theirs up to date row by row with AttentionImageBuilder, which this uses.
#include <QImage>

namespace kvs::ui {

struct AttentionMatrix;

// rows = query positions, columns = key positions. A matrix larger than max_side is reduced
// by area averaging over bins of 2, 4, 8, ... cells a side: each pixel is the mean probability
// of the visible (causal) cells it covers, so a 2048-token matrix becomes an image of at most
// max_side pixels a side without aliasing away thin lines.
// Masked cells (key after query) are light grey. Colour encodes sqrt(p) so that the many small
// weights of a long row stay distinguishable from zero.
QImage render_attention_image(const AttentionMatrix& m, int max_side);

// The colour of a probability on the scale above.
QRgb attention_color(float probability);

}  // namespace kvs::ui
