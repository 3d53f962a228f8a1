#pragma once
// Writes a model as a llama2.c checkpoint and tokenizer.bin (run.c's formats), so that llama2.c
// computes with exactly the weights kvscope does: the benchmark against it runs one file on
// both. Checkpoints are F32; the model must be a Llama model in run.c's conventions (adjacent-
// pair RoPE with base 10000 over the whole head, RMSNorm epsilon 1e-5, no biases).
#include <string>

#include "core/result.h"
#include "model/model.h"
#include "model/tokenizer.h"

namespace kvs {

Status write_llama2c_checkpoint(const Model& model, const std::string& path);
Status write_llama2c_tokenizer(const Model& model, const std::string& path);

// The model's vocabulary as SentencePiece pieces: a SentencePiece tokenizer's own; for the
// byte tokenizer of synthetic models, <unk>, <s>, </s>, the 256 byte pieces <0x00>..<0xFF> (ids
// 3..258, the ids it gives bytes) and "<id>" for the rest, all with score 0, so a reader
// encodes text byte by byte as the synthetic tokenizer does.
Result<SentencePieceVocab> sentencepiece_vocab_of(const Model& model);

}  // namespace kvs
