#pragma once
// The tokenizer of a synthetic model: the real vocabulary of the model whose shape it has, when
// that vocabulary's file can be found, so that a prompt is tokenized as the real model would
// tokenize it and generated ids read as text pieces; otherwise one token per byte
// (SyntheticByteTokenizer), with the reason.
//
// Vocabularies that can be found, under each search folder (model/model_search_path.h):
//   llama2       llama2-tokenizer/tokenizer.bin   (llama2.c format, 32000 tokens: Llama 2,
//                                                  TinyLlama, the TinyStories 15M-110M models)
//   stories260k  stories260K/tok512.bin           (llama2.c format, 512 tokens)
//   gpt2         gpt2-tokenizer/ or gpt2/         (a Hugging Face folder: vocab.json + merges.txt
//                                                  or tokenizer.json, 50257 tokens)
// Any other vocabulary a preset names (Mistral's, Llama 3's, OPT's) has no known file: bytes.
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/tokenizer.h"

namespace kvs {

struct SyntheticTokenizerRequest {
    std::string vocabulary;  // the preset's ("llama2"); empty when none is known
    std::string model_name;  // "Mistral 7B", for messages
    int vocab_size = 0;      // the model's: a tokenizer may not have more ids
    // "" : search `search_dirs` for the vocabulary; "bytes": the byte tokenizer; otherwise a file
    // (llama2.c tokenizer.bin, SentencePiece tokenizer.model) or a Hugging Face folder to use.
    std::string tokenizer;
    std::vector<std::string> search_dirs;
};

struct SyntheticTokenizer {
    std::shared_ptr<const Tokenizer> tokenizer;
    std::string name;  // short: "Llama 2, 32000 tokens" or "bytes"
    std::string note;  // the file it came from, or why the tokens are bytes
};

// A named file that cannot be read, or holds more ids than the model, is an error; a vocabulary
// that is searched for and not found (or found unreadable) gives the byte tokenizer and says so.
Result<SyntheticTokenizer> synthetic_tokenizer(const SyntheticTokenizerRequest& request);

}  // namespace kvs
