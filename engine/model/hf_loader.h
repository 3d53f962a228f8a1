#pragma once
// Hugging Face model folders: config.json, model.safetensors (or shards listed by
// model.safetensors.index.json) and tokenizer.json or vocab.json + merges.txt.
#include <memory>
#include <string>

#include "core/result.h"
#include "model/model.h"

namespace kvs {

Result<std::shared_ptr<Model>> load_hf_model(const std::string& dir, const LoadOptions& options = {});

}  // namespace kvs
