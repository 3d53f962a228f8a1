#pragma once
// llama2.c checkpoints (Karpathy's run.c format) and their tokenizer.bin.
#include <memory>
#include <string>

#include "core/result.h"
#include "model/model.h"

namespace kvs {

// Reads a checkpoint: 7 int32 header fields, then float32 tensors in run.c's order. A negative
// vocab_size means the classifier is stored separately after the other tensors.
Result<std::shared_ptr<Model>> load_llama2c_model(const std::string& path, const std::string& tokenizer_path);

// Reads a llama2.c tokenizer.bin: int32 max_token_length, then per token a float32 score, an
// int32 byte length and the bytes. vocab_size is the number of tokens to read.
Result<std::unique_ptr<Tokenizer>> load_llama2c_tokenizer(const std::string& path, int vocab_size);

}  // namespace kvs
