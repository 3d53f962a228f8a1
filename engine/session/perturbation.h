#pragma once
// "Why only K and V" (docs/DEBUGGER.md): the same prompt run twice through a backend with every
// activation tapped, the second time with one thing changed, and, for every layer and op, how
// much each position's activation moved.
//
// - perturb_token: one token of the prompt replaced. Embedding, norms, projections and the FFN
//   act on each position alone and only attention mixes positions, so nothing before the
//   changed position moves, at any layer: the K and V already cached for earlier positions stay
//   valid whatever comes after them. That is why they, and nothing else, can be cached.
// - zero_activation: one position's output of one op zeroed (say layer l's FFN output at p).
//   Later positions' K and V in deeper layers move, so a prefill cannot skip the FFN (or Q) of
//   earlier positions even though only their K and V are kept.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/activation_tap.h"
#include "core/backend.h"
#include "core/result.h"

namespace kvs {

// How much one (layer, op) moved at each position.
struct ActivationChange {
    int layer = -1;  // -1: embedding, final norm, logits
    TapPoint point = TapPoint::Embedding;
    std::vector<float> max_diff;  // [positions] max |changed - original| over the row

    int first_changed() const;  // the first position with a nonzero difference, -1 when none
    float largest() const;
};

struct PerturbationReport {
    enum class Kind { Token, Zero };
    Kind kind = Kind::Token;
    int positions = 0;             // of the prompt
    int position = 0;              // the position changed
    int original_token = -1;       // Kind::Token
    int replacement_token = -1;
    ActivationPatch patch;         // Kind::Zero
    std::vector<ActivationChange> changes;  // in pass order: embedding, per layer, final norm, logits

    const ActivationChange* find(int layer, TapPoint point) const;
    // Where a change first reaches later positions: the first (layer, op), in pass order, with
    // a nonzero difference after `position`; nullptr when none.
    const ActivationChange* first_spread() const;
};

// Runs `tokens` through `backend` as they are and with tokens[position] replaced by `replacement`
// (-1: the next token id, wrapping), every activation tapped and every logit row kept. Uses the
// backend's default sequence, which must be empty and is emptied again.
Result<PerturbationReport> perturb_token(Backend& backend, const std::vector<int>& tokens, int position,
                                         int replacement = -1);
// Runs `tokens` as they are and with `patch` applied (that row of that op zeroed).
Result<PerturbationReport> zero_activation(Backend& backend, const std::vector<int>& tokens, const ActivationPatch& patch);

// The report as JSON: {"experiment", "positions", "position", ..., "changes": [{"layer", "op",
// "first_changed", "max_diff": [...]}]}.
nlohmann::json to_json(const PerturbationReport& report);

}  // namespace kvs
