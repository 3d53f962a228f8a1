#pragma once
// Writes a whole kvs::Model as GGUF (llama or gpt2 layout, llama.cpp's tensor and metadata
// names): `kvscope-cli write-model`, and round trips of the loaders in the tests.
#include <string>
#include <vector>

#include "core/result.h"
#include "model/gguf_types.h"
#include "model/model.h"

namespace kvs {

struct GgufModelWriteOptions {
    GgmlType matrix_type = GgmlType::F32;  // for 2-D weights; 1-D tensors are always F32
    std::uint32_t alignment = 32;
    std::vector<std::string> omit;  // metadata keys or tensor names left out (broken-file tests)
};

// A llama model's tokenizer must be SentencePiece or the synthetic byte tokenizer (written as
// SentencePiece byte pieces, model/llama2c_writer.h), a gpt2 model's a ByteLevelBpe; the
// vocabulary is stored as tokenizer.ggml.* (spaces become U+2581 for llama2.c vocabularies).
// Block types need rows that are a whole number of blocks; other matrices fall back to F16.
Status write_model_gguf(const Model& model, const std::string& path, const GgufModelWriteOptions& options = {});

}  // namespace kvs
