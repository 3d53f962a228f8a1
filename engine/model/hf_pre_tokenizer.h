#pragma once
// The pre_tokenizer of a byte-level tokenizer.json as a PreTokenizer: ByteLevel (GPT-2's
// pattern unless use_regex is false), Split (a Regex or String pattern, behavior Isolated or
// Removed), Digits (each digit, or runs of digits), and Sequence of these. Llama-3 is
// Sequence[Split(its pattern), ByteLevel(use_regex false)], SmolLM2 Sequence[Digits(individual),
// ByteLevel], Qwen2 like Llama-3 with its own pattern.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "model/pre_tokenizer.h"

namespace kvs {

// `pre` is the pre_tokenizer member (null: GPT-2's pattern, as for files that only name a
// ByteLevel decoder); `origin` names the file for messages.
Result<std::shared_ptr<const PreTokenizer>> hf_pre_tokenizer(const nlohmann::json& pre, const std::string& origin);

}  // namespace kvs
