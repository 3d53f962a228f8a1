#pragma once
// A loaded model: its shape, its weights, its tokenizer and where it came from.
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/model_config.h"
#include "model/tokenizer.h"
#include "model/weights.h"

namespace kvs {

struct Model {
    ModelConfig config;
    ModelWeights weights;
    std::shared_ptr<const Tokenizer> tokenizer;  // may be null only for synthetic models
    std::vector<int> stop_tokens;                // sampling one of these ends generation
    std::string source;                          // path, or "synthetic:PRESET"
    std::string format;                          // "llama2c", "gguf", "hf", "synthetic"
    // Synthetic models: which tokenizer they got ("Llama 2, 32000 tokens", "bytes") and how
    // (its file, or why the tokens are bytes). Empty for models that carry their own.
    std::string tokenizer_name;
    std::string tokenizer_note;
};

struct LoadOptions {
    std::string tokenizer_path;  // for formats that carry no tokenizer (llama2.c .bin)
};

// Picks the loader from the path: a directory is a Hugging Face folder, a file starting with
// "GGUF" is GGUF, anything else is tried as a llama2.c checkpoint.
Result<std::shared_ptr<Model>> load_model(const std::string& path, const LoadOptions& options = {});

}  // namespace kvs
