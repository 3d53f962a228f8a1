#pragma once
// SentencePiece-style BPE with scores, encoding as llama.cpp's SPM tokenizer (and llama2.c)
// do: a dummy-prefix space, spaces as U+2581, greedy merging of the adjacent pair whose
// merged piece has the highest score, and byte fallback to <0xNN> pieces.
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/tokenizer.h"

namespace kvs {

class SentencePieceBpe final : public Tokenizer {
public:
    static Result<std::unique_ptr<SentencePieceBpe>> create(SentencePieceVocab vocab);

    std::vector<int> encode(std::string_view text) const override;
    std::string decode_piece(int prev, int id) const override;
    std::string token_label(int id) const override;
    int vocab_size() const override { return int(marked_.size()); }

    // The vocabulary as it was given (for writers that store it in another format).
    const SentencePieceVocab& vocab() const { return vocab_; }
    // The id of a piece written with U+2581 for spaces, or -1.
    int find_piece(std::string_view marked_piece) const;

private:
    explicit SentencePieceBpe(SentencePieceVocab vocab);
    struct Symbol;
    void resegment(const std::vector<Symbol>& symbols, int index, std::string_view text,
                   const std::unordered_map<std::string, std::pair<int, int>>& merged_from,
                   std::vector<int>& out) const;
    bool is_control(int id) const;
    int byte_value(int id) const;  // 0..255 for a <0xNN> piece, else -1

    SentencePieceVocab vocab_;
    std::vector<std::string> marked_;  // pieces with U+2581 for every space
    std::unordered_map<std::string, int> id_of_;
    std::array<int, 256> byte_ids_{};  // id of <0xNN>, or unk when the vocabulary lacks it
    std::vector<int> byte_of_id_;      // inverse of byte_ids_, -1 for other pieces
};

}  // namespace kvs
