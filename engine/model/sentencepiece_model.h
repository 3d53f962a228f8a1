#pragma once
// Reads a SentencePiece `tokenizer.model` (a serialized ModelProto) with a small protobuf wire
// reader: the pieces with their scores and types (field 1), the trainer spec's model type and
// special ids (field 2) and the normalizer's dummy-prefix flag (field 3). BPE models only:
// Llama, Mistral and TinyLlama ship BPE; unigram models are refused with a message.
#include <memory>
#include <string>

#include "core/result.h"
#include "model/tokenizer.h"

namespace kvs {

Result<SentencePieceVocab> read_sentencepiece_model(const std::string& path);
Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::string& path);

}  // namespace kvs
