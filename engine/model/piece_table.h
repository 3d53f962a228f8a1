#pragma once
// Strings stored end to end in one buffer and found by index: a tokenizer's vocabulary held
// for a whole run. A std::vector<std::string> of Llama 2's 32000 pieces takes 1 MB before any
// text (32 bytes per string); this takes the text (about 200 KB) and 4 bytes per piece, and the
// difference counts in every run's peak memory (docs/PERFORMANCE.md).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvs {

class PieceTable {
public:
    void reserve(std::size_t pieces) { ends_.reserve(pieces); }
    void add(std::string_view piece) {
        text_.append(piece);
        ends_.push_back(std::uint32_t(text_.size()));
    }
    // Drops the spare capacity the buffers grew with.
    void shrink_to_fit() {
        text_.shrink_to_fit();
        ends_.shrink_to_fit();
    }
    std::size_t size() const { return ends_.size(); }
    std::string_view operator[](std::size_t i) const {
        const std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
        return std::string_view(text_).substr(begin, ends_[i] - begin);
    }

private:
    std::string text_;
    std::vector<std::uint32_t> ends_;  // where each piece ends in text_
};

}  // namespace kvs
