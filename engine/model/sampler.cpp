#include "model/sampler.h"

#include <algorithm>
#include <cmath>

namespace kvs {

namespace {
// splitmix64: spreads any seed (0 included) over the state space.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
}  // namespace

Sampler::Sampler(SamplingOptions options) : options_(options), state_(splitmix64(options.seed) | 1) {}

float Sampler::next_uniform() {
    // xorshift64*: a fixed, portable sequence for a given seed.
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const std::uint64_t r = state_ * 0x2545F4914F6CDD1Dull;
    return float(r >> 40) / 16777216.0f;  // 24 random bits
}

// std::max_element's answer (the first position of the largest value; NaNs never win) in two
// passes that do not wait on one comparison after another: eight running maxima, then the first
// position holding the largest. Greedy decoding does this over the whole vocabulary every step.
int Sampler::argmax(std::span<const float> logits) {
    const std::size_t n = logits.size();
    if (n == 0) return 0;
    constexpr std::size_t kLanes = 8;
    float lanes[kLanes];
    std::fill(lanes, lanes + kLanes, logits[0]);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t l = 0; l < kLanes; ++l) lanes[l] = logits[i + l] > lanes[l] ? logits[i + l] : lanes[l];
    float best = logits[0];
    for (const float m : lanes) best = m > best ? m : best;
    for (; i < n; ++i) best = logits[i] > best ? logits[i] : best;
    for (std::size_t j = 0; j < n; ++j)
        if (logits[j] == best) return int(j);
    return 0;  // the largest is a NaN at position 0
}

std::vector<TokenProbabilityPair> Sampler::top_probabilities(std::span<const float> logits, int k) {
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(double(l - max));
    // The k best in one pass, kept in order (higher logit first, the lower id on ties), instead
    // of sorting an index of the whole vocabulary.
    const auto before = [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    k = std::max(0, std::min<int>(k, int(logits.size())));
    std::vector<int> order;
    order.reserve(std::size_t(k) + 1);
    for (int i = 0; k > 0 && i < int(logits.size()); ++i) {
        if (int(order.size()) == k && !before(i, order.back())) continue;
        order.insert(std::upper_bound(order.begin(), order.end(), i, before), i);
        if (int(order.size()) > k) order.pop_back();
    }
    std::vector<TokenProbabilityPair> out;
    out.reserve(std::size_t(k));
    for (int id : order) out.push_back({id, float(std::exp(double(logits[id] - max)) / sum)});
    return out;
}

double Sampler::entropy(std::span<const float> logits) {
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(double(l - max));
    const double log_sum = std::log(sum);
    double h = 0.0;
    for (float l : logits) {
        const double log_p = double(l - max) - log_sum;
        h -= std::exp(log_p) * log_p;
    }
    return h;
}

double Sampler::apply_filters(std::span<const float> logits) {
    // Probabilities at the temperature, most likely first.
    const float max = *std::max_element(logits.begin(), logits.end());
    scratch_.resize(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i)
        scratch_[i] = {int(i), std::exp((logits[i] - max) / options_.temperature)};
    std::sort(scratch_.begin(), scratch_.end(), [](const auto& a, const auto& b) {
        return a.probability > b.probability || (a.probability == b.probability && a.id < b.id);
    });

    std::size_t keep = scratch_.size();
    if (options_.top_k > 0) keep = std::min<std::size_t>(keep, std::size_t(options_.top_k));
    double total = 0.0;
    for (std::size_t i = 0; i < keep; ++i) total += scratch_[i].probability;
    if (options_.top_p < 1.0f) {
        // Smallest prefix whose mass reaches top_p of the kept mass.
        double mass = 0.0;
        for (std::size_t i = 0; i < keep; ++i) {
            mass += scratch_[i].probability;
            if (mass >= options_.top_p * total) {
                keep = i + 1;
                total = mass;
                break;
            }
        }
    }
    scratch_.resize(keep);
    return total;
}

std::vector<TokenProbabilityPair> Sampler::filtered_probabilities(std::span<const float> logits, int k) {
    if (options_.temperature <= 0.0f) return {{argmax(logits), 1.0f}};
    const double total = apply_filters(logits);
    std::vector<TokenProbabilityPair> out;
    for (std::size_t i = 0; i < scratch_.size() && int(i) < k; ++i)
        out.push_back({scratch_[i].id, float(double(scratch_[i].probability) / total)});
    return out;
}

int Sampler::sample(std::span<const float> logits) {
    if (options_.temperature <= 0.0f) return argmax(logits);
    const double total = apply_filters(logits);
    const double r = double(next_uniform()) * total;
    double cdf = 0.0;
    for (const auto& c : scratch_) {
        cdf += c.probability;
        if (r < cdf) return c.id;
    }
    return scratch_.back().id;
}

}  // namespace kvs
