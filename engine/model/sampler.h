#pragma once
// Picks the next token from logits: greedy, temperature, top-k and top-p, with a seeded
// generator of our own so that a seed gives the same tokens on every platform.
#include <cstdint>
#include <span>
#include <vector>

namespace kvs {

struct SamplingOptions {
    float temperature = 0.0f;  // 0 = greedy (argmax)
    int top_k = 0;             // 0 = off
    float top_p = 1.0f;        // 1 = off
    std::uint64_t seed = 42;
};

struct TokenProbabilityPair {
    int id;
    float probability;
};

class Sampler {
public:
    explicit Sampler(SamplingOptions options);
    int sample(std::span<const float> logits);
    const SamplingOptions& options() const { return options_; }

    // The generator's state: saved before a step and restored to replay it (a rewound sampled
    // run draws the same numbers again).
    std::uint64_t state() const { return state_; }
    void set_state(std::uint64_t state) { state_ = state; }

    // The distribution sample() draws from after temperature, top-k and top-p (renormalized),
    // the k most likely first; greedy: the argmax with probability 1.
    std::vector<TokenProbabilityPair> filtered_probabilities(std::span<const float> logits, int k);
    // Shannon entropy of softmax(logits) at temperature 1, in nats.
    static double entropy(std::span<const float> logits);

    // softmax(logits) at temperature 1, the k most likely first.
    static std::vector<TokenProbabilityPair> top_probabilities(std::span<const float> logits, int k);
    static int argmax(std::span<const float> logits);

private:
    float next_uniform();  // [0, 1)
    // Fills scratch_ with the kept candidates (most likely first, unnormalized weights) and
    // returns their total weight: the one place the filters are applied.
    double apply_filters(std::span<const float> logits);
    SamplingOptions options_;
    std::uint64_t state_;
    std::vector<TokenProbabilityPair> scratch_;
};

}  // namespace kvs
