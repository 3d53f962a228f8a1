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

    // softmax(logits) at temperature 1, the k most likely first.
    static std::vector<TokenProbabilityPair> top_probabilities(std::span<const float> logits, int k);
    static int argmax(std::span<const float> logits);

private:
    float next_uniform();  // [0, 1)
    SamplingOptions options_;
    std::uint64_t state_;
    std::vector<TokenProbabilityPair> scratch_;
};

}  // namespace kvs
