#pragma once
// The logit lens (docs/DEBUGGER.md): what each layer's residual stream would predict if the model
// ended there. The residual stream after the embedding and after every layer, at one position, is
// put through the model's final norm and classifier, and softmax gives a distribution over the
// vocabulary per layer. The last layer's is the model's own output distribution.
#include <vector>

#include "core/activation_tap.h"
#include "core/backend.h"
#include "core/result.h"

namespace kvs {

struct Model;

struct LensToken {
    int id = 0;
    float prob = 0;
};

// One row of the lens: the residual stream after the embedding (layer -1) or after a layer.
struct LensLayer {
    int layer = -1;
    std::vector<LensToken> top;  // most likely first
    double entropy = 0;          // nats
    float final_prob = 0;        // probability of the last layer's most likely token
    int final_rank = 0;          // its rank here (0 = the most likely)
    std::vector<float> probs;    // [vocab] the whole distribution
};

struct LogitLens {
    int position = 0;      // the position whose residual stream is read
    int final_token = -1;  // the most likely token of the last layer
    std::vector<LensLayer> layers;  // embedding, then layers 0..n-1
};

// The lens at pass row `row` from a pass that tapped the embedding and every layer's residual
// after the FFN (lens_tap()); `top_k` tokens per layer.
Result<LogitLens> logit_lens_of(const Model& model, const std::vector<Activation>& tapped, int row, int top_k);
// The tap logit_lens_of() needs.
ActivationTap lens_tap();
// Runs `tokens` from position 0 through `backend` (its default sequence, which must be empty and
// is emptied again) and returns the lens of the last position: what the next token would be
// according to each layer.
Result<LogitLens> logit_lens(Backend& backend, const Model& model, const std::vector<int>& tokens, int top_k);

}  // namespace kvs
