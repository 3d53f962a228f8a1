#pragma once
// The tokenizer of synthetic models: one token per byte (byte b is id 3 + b), so any prompt
// works; 0, 1, 2 are <unk>, <s>, </s> and every id past 258 is labelled "<id>".
#include "model/tokenizer.h"

namespace kvs {

class SyntheticByteTokenizer : public Tokenizer {
public:
    static constexpr int kFirstByteId = 3;
    static constexpr int kMinVocab = kFirstByteId + 256;

    explicit SyntheticByteTokenizer(int vocab_size);

    std::vector<int> encode(std::string_view text) const override;
    std::string decode_piece(int prev, int id) const override;
    std::string token_label(int id) const override;
    int vocab_size() const override { return vocab_size_; }

private:
    int vocab_size_;
};

}  // namespace kvs
