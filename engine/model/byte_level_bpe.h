#pragma once
// Byte-level BPE: text is split by the vocabulary's pre-tokenizer (GPT-2's pattern unless the
// vocabulary names another, model/pre_tokenizer.h), each piece's bytes are mapped to GPT-2's
// printable byte alphabet and merged by rank. User-defined tokens (GGUF type 4) are matched in
// the text as whole tokens; control tokens (type 3, "<|endoftext|>") only by encode_special(),
// and they decode to nothing.
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/pre_tokenizer.h"
#include "model/tokenizer.h"

namespace kvs {

class ByteLevelBpe final : public Tokenizer {
public:
    static Result<std::unique_ptr<ByteLevelBpe>> create(ByteLevelVocab vocab);

    std::vector<int> encode(std::string_view text) const override { return encode_impl(text, false); }
    std::vector<int> encode_special(std::string_view text) const override { return encode_impl(text, true); }
    std::string decode_piece(int prev, int id) const override;
    std::string token_label(int id) const override;
    int vocab_size() const override { return int(vocab_.tokens.size()); }

    const ByteLevelVocab& vocab() const { return vocab_; }

    // How GPT-2's byte alphabet writes a byte ("Ġ" for a space).
    static const std::string& byte_char(std::uint8_t byte);
    // GPT-2's pre-tokenizer split of a text (exposed for tests and views).
    static std::vector<std::string_view> pre_tokenize(std::string_view text);
    const PreTokenizer& pre_tokenizer() const { return *pre_; }

private:
    explicit ByteLevelBpe(ByteLevelVocab vocab);
    std::vector<int> encode_impl(std::string_view text, bool special) const;
    void encode_word(std::string_view word, std::vector<int>& out) const;
    void encode_text(std::string_view text, std::vector<int>& out) const;

    ByteLevelVocab vocab_;
    std::unordered_map<std::string, int> id_of_;
    std::unordered_map<std::string, int> merge_rank_;  // "left right" -> rank
    std::vector<int> user_defined_;                    // ids matched verbatim in text, longest first
    std::vector<int> with_control_;                    // the same with the control tokens
    std::shared_ptr<const PreTokenizer> pre_;
};

}  // namespace kvs
