#pragma once
// The pre-tokenizer of a byte-level BPE: text is cut into pieces by a sequence of regular
// expressions before merges apply (merges never cross a piece boundary). Each step splits every
// piece the step before produced: a match becomes a piece of its own and so does the text
// between matches ("Isolated", as Hugging Face tokenizers' Split and llama.cpp do), or the
// matches are dropped ("Removed"). GPT-2 uses one pattern; SmolLM2 and StarCoder first isolate
// every digit; Llama-3 and Qwen2 use patterns of their own that group digits and contractions
// differently (docs/FORMATS.md). PCRE2 with Unicode properties runs the patterns.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kvs {

class PreTokenizer {
public:
    enum class Behavior { Isolated, Removed };
    struct Step {
        std::string pattern;  // PCRE2 syntax (Hugging Face's Oniguruma patterns are compatible)
        Behavior behavior = Behavior::Isolated;
    };

    // Compiles the steps; a pattern PCRE2 rejects is an error naming it and the position.
    static Result<PreTokenizer> create(std::vector<Step> steps, std::string name);
    // GPT-2's pattern (byte-level tokenizers that name no other).
    static const PreTokenizer& gpt2();
    // The pre-tokenizer llama.cpp names in a GGUF file's `tokenizer.ggml.pre` ("gpt-2",
    // "llama-bpe", "smollm", "qwen2", "deepseek-coder", ...); an unknown name is an error that
    // lists the known ones. `ignore_merges` tells whether the vocabulary looks a whole piece up
    // before merging (Llama-3).
    static Result<PreTokenizer> for_gguf_name(std::string_view pre, bool& ignore_merges);
    static std::vector<std::string> gguf_names();
    // Patterns of the Hugging Face pre-tokenizers that the tokenizer.json reader builds on.
    static const char* gpt2_pattern();

    // The pieces of `text`, in order; their concatenation is `text` unless a step removes matches.
    std::vector<std::string_view> split(std::string_view text) const;
    const std::string& name() const { return name_; }
    std::size_t steps() const { return steps_.size(); }

private:
    struct Compiled;
    std::vector<std::shared_ptr<const Compiled>> steps_;
    std::string name_;
};

}  // namespace kvs
