#pragma once
// The tokenizer of a Hugging Face folder, from tokenizer.json (model type BPE: GPT-2 style
// byte-level, or SentencePiece style with U+2581 spaces and byte fallback) or from
// vocab.json + merges.txt (byte-level). tokenizer_config.json, when present, names BOS/EOS and
// says whether BOS is added; config.json's bos/eos_token_id are the fallback.
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/tokenizer.h"

namespace kvs {

struct HfTokenDefaults {
    int bos_id = -1;           // config.json bos_token_id
    std::vector<int> eos_ids;  // config.json eos_token_id
};

Result<std::unique_ptr<Tokenizer>> load_hf_tokenizer(const std::string& dir, const HfTokenDefaults& defaults);

}  // namespace kvs
