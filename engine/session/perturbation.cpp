#include "session/perturbation.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace kvs {

int ActivationChange::first_changed() const {
    for (std::size_t p = 0; p < max_diff.size(); ++p)
        if (max_diff[p] != 0.0f) return int(p);
    return -1;
}

float ActivationChange::largest() const {
    return max_diff.empty() ? 0.0f : *std::max_element(max_diff.begin(), max_diff.end());
}

const ActivationChange* PerturbationReport::find(int layer, TapPoint point) const {
    for (const ActivationChange& c : changes)
        if (c.layer == layer && c.point == point) return &c;
    return nullptr;
}

const ActivationChange* PerturbationReport::first_spread() const {
    for (const ActivationChange& c : changes)
        for (std::size_t p = std::size_t(position) + 1; p < c.max_diff.size(); ++p)
            if (c.max_diff[p] != 0.0f) return &c;
    return nullptr;
}

namespace {

// One prefill of `tokens` from position 0 with every activation tapped and every logit row.
Result<std::vector<Activation>> tapped_prefill(Backend& backend, const std::vector<int>& tokens,
                                               std::vector<ActivationPatch> zero) {
    ForwardBatch batch;
    batch.sequences.push_back({Backend::kDefaultSequence, tokens, 0, true});
    batch.tap = ActivationTap::everything();
    batch.tap.zero = std::move(zero);
    ForwardOutput out;
    const Status s = backend.forward(batch, out);
    backend.truncate_cache(0);
    if (!s) return s.error();
    return std::move(out.activations);
}

Status check_run(const Backend& backend, const std::vector<int>& tokens, int position) {
    if (backend.cache_length() != 0)
        return err("perturbation: the backend's default sequence must be empty (it holds ", backend.cache_length(),
                   " positions)");
    if (tokens.empty()) return err("perturbation: no tokens");
    if (position < 0 || position >= int(tokens.size()))
        return err("perturbation: position ", position, " is outside the prompt's ", tokens.size(), " positions");
    return {};
}

// Both runs, then per (layer, op) and position the largest absolute difference.
Result<PerturbationReport> compare_runs(Backend& backend, const std::vector<int>& original,
                                        const std::vector<int>& changed, std::vector<ActivationPatch> zero,
                                        PerturbationReport report) {
    KVS_ASSIGN(const std::vector<Activation> a, tapped_prefill(backend, original, {}));
    KVS_ASSIGN(const std::vector<Activation> b, tapped_prefill(backend, changed, std::move(zero)));
    report.positions = int(original.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        ActivationChange c;
        c.layer = a[i].layer;
        c.point = a[i].point;
        c.max_diff.assign(std::size_t(a[i].rows), 0.0f);
        for (int r = 0; r < a[i].rows; ++r)
            for (int k = 0; k < a[i].cols; ++k)
                c.max_diff[std::size_t(r)] = std::max(c.max_diff[std::size_t(r)], std::abs(a[i].row(r)[k] - b[i].row(r)[k]));
        report.changes.push_back(std::move(c));
    }
    return report;
}

}  // namespace

Result<PerturbationReport> perturb_token(Backend& backend, const std::vector<int>& tokens, int position,
                                         int replacement) {
    KVS_TRY(check_run(backend, tokens, position));
    std::vector<int> changed = tokens;
    const int original = tokens[std::size_t(position)];
    if (replacement < 0) replacement = (original + 1) % backend.vocab_size();
    if (replacement == original)
        return err("perturbation: the replacement token ", replacement, " is the token already at position ", position);
    changed[std::size_t(position)] = replacement;
    PerturbationReport r;
    r.kind = PerturbationReport::Kind::Token;
    r.position = position;
    r.original_token = original;
    r.replacement_token = replacement;
    return compare_runs(backend, tokens, changed, {}, std::move(r));
}

Result<PerturbationReport> zero_activation(Backend& backend, const std::vector<int>& tokens, const ActivationPatch& patch) {
    KVS_TRY(check_run(backend, tokens, patch.row));
    PerturbationReport r;
    r.kind = PerturbationReport::Kind::Zero;
    r.position = patch.row;
    r.patch = patch;
    return compare_runs(backend, tokens, tokens, {patch}, std::move(r));
}

nlohmann::json to_json(const PerturbationReport& report) {
    nlohmann::json j;
    j["experiment"] = report.kind == PerturbationReport::Kind::Token ? "token" : "zero";
    j["positions"] = report.positions;
    j["position"] = report.position;
    if (report.kind == PerturbationReport::Kind::Token) {
        j["original_token"] = report.original_token;
        j["replacement_token"] = report.replacement_token;
    } else {
        j["zeroed"] = {{"layer", report.patch.layer}, {"op", to_string(report.patch.point)}};
    }
    if (const ActivationChange* s = report.first_spread())
        j["first_spread"] = {{"layer", s->layer}, {"op", to_string(s->point)}};
    nlohmann::json changes = nlohmann::json::array();
    for (const ActivationChange& c : report.changes)
        changes.push_back({{"layer", c.layer},
                           {"op", to_string(c.point)},
                           {"first_changed", c.first_changed()},
                           {"max_diff", c.max_diff}});
    j["changes"] = std::move(changes);
    return j;
}

}  // namespace kvs
