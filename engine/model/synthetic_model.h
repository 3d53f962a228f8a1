#pragma once
// Models with the real shape of a preset and seeded random weights, for memory and speed
// studies of models nobody needs to download. The same (preset, layers, seed) gives the same
// weights on every machine and with any number of threads.
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "model/model.h"

namespace kvs {

// Weights are drawn like an initialisation: matrices ~ N(0, 0.02) (the output projections wo
// and w_down scaled by 1/sqrt(2 n_layers), as GPT-2 does), norm weights 1, biases 0.
// layers_override > 0 keeps only that many blocks (0 = the preset's count). The tokenizer is
// SyntheticByteTokenizer; there are no stop tokens, so runs go to their token limit.
Result<std::shared_ptr<Model>> make_synthetic_model(const std::string& preset, int layers_override,
                                                    std::uint64_t seed);
// The same for a shape given in full (benchmarks that need, say, a 2-layer model with a long
// context); `source` names it ("synthetic:bench-long").
Result<std::shared_ptr<Model>> make_synthetic_model(const ModelConfig& config, const std::string& source,
                                                    std::uint64_t seed);

}  // namespace kvs
