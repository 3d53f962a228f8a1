#pragma once
// Loads a Llama-family or GPT-2 model from a GGUF file: config from {arch}.* metadata,
// weights converted to F32 (from F32, F16, BF16 or Q8_0), tokenizer from tokenizer.ggml.*.
#include <memory>
#include <string>

#include "core/result.h"
#include "model/gguf_reader.h"
#include "model/model.h"

namespace kvs {

Result<std::shared_ptr<Model>> load_gguf_model(const std::string& path);

// The model config a GGUF file describes (no tensors are read; vocab_size comes from the
// token embedding's shape).
Result<ModelConfig> read_gguf_config(const GgufFile& file);

}  // namespace kvs
