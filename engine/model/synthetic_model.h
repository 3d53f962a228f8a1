#pragma once
// Models with the real shape of a preset and seeded random weights, for memory and speed
// studies of models nobody needs to download. The same (preset, layers, seed) gives the same
// weights on every machine and with any number of threads.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/model.h"

namespace kvs {

struct SyntheticOptions {
    int layers = 0;              // > 0 keeps only that many blocks (0 = the preset's count)
    std::uint64_t seed = 1234;   // of the random weights
    // The tokenizer (model/synthetic_vocabulary.h): "" finds the preset's real vocabulary in
    // search_dirs (model_search_dirs()) and falls back to bytes, saying why; "bytes"; or a
    // tokenizer file or folder.
    std::string tokenizer;
    std::vector<std::string> search_dirs;
};

// Weights are drawn like an initialisation: matrices ~ N(0, 0.02) (the output projections wo
// and w_down scaled by 1/sqrt(2 n_layers), as GPT-2 does), norm weights 1, biases 0.
// There are no stop tokens (random weights would end runs at random), so runs go to their token
// limit. The tokenizer is the real one of the preset's model where it can be found.
Result<std::shared_ptr<Model>> make_synthetic_model(const std::string& preset, const SyntheticOptions& options);
// The same with the byte tokenizer (SyntheticByteTokenizer), independent of any file on disk.
Result<std::shared_ptr<Model>> make_synthetic_model(const std::string& preset, int layers_override,
                                                    std::uint64_t seed);
// The same for a shape given in full (benchmarks that need, say, a 2-layer model with a long
// context), with the byte tokenizer; `source` names it ("synthetic:bench-long").
Result<std::shared_ptr<Model>> make_synthetic_model(const ModelConfig& config, const std::string& source,
                                                    std::uint64_t seed);

}  // namespace kvs
