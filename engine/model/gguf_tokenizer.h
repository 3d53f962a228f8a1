#pragma once
// Builds the tokenizer a GGUF file describes in its tokenizer.ggml.* metadata.
#include <memory>

#include "core/result.h"
#include "model/gguf_reader.h"
#include "model/tokenizer.h"

namespace kvs {

// tokenizer.ggml.model "llama" gives SentencePiece BPE, "gpt2" byte-level BPE.
Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const GgufFile& file);

// The same, from a path (opens the file; convenient for vocabulary-only files).
Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const std::string& path);

}  // namespace kvs
