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

#include "model/piece_table.h"
#include "model/tokenizer.h"

namespace kvs {

class SentencePieceBpe final : public Tokenizer {
public:
    static Result<std::unique_ptr<SentencePieceBpe>> create(SentencePieceVocab vocab);

    std::vector<int> encode(std::string_view text) const override;
    std::string decode_piece(int prev, int id) const override;
    std::string token_label(int id) const override;
    int vocab_size() const override { return int(pieces_.size()); }

    // The vocabulary (for writers that store it in another format), built anew on each call, its
    // pieces written with U+2581 for spaces whatever form they were given in (spaces_are_marked
    // is then true).
    SentencePieceVocab vocab() const;
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

    SentencePieceVocab vocab_;  // everything but the pieces (scores, types, special ids)
    PieceTable pieces_;         // pieces with U+2581 for every space
    // Ids ordered by their piece (equal pieces by id), searched by piece: a fraction of the memory
    // of a hash map of the pieces, which held 2 MB for Llama 2's 32000 and counts in every run's
    // peak (docs/PERFORMANCE.md); a prompt costs a few thousand searches.
    std::vector<int> ids_by_piece_;
    std::array<int, 256> byte_ids_{};  // id of <0xNN>, or unk when the vocabulary lacks it
};

}  // namespace kvs
