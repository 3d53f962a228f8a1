#include "model/sentencepiece_bpe.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <queue>

#include "model/utf8.h"

namespace kvs {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK
constexpr std::int32_t kTypeControl = 3;
constexpr std::int32_t kTypeByte = 6;

// Parses "<0xNN>" (upper- or lower-case hex); -1 for anything else.
int parse_byte_piece(std::string_view p) {
    if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
    int v = 0;
    for (char c : p.substr(3, 2)) {
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else return -1;
    }
    return v;
}

}  // namespace

// A run of text in the merge list: characters at first, pieces as pairs merge. Merged-away
// symbols keep n == 0; prev/next link the live ones.
struct SentencePieceBpe::Symbol {
    int prev = -1, next = -1;
    std::size_t start = 0, n = 0;  // byte range in the (escaped) text
};

namespace {

struct Bigram {
    int left = 0, right = 0;
    float score = 0.0f;
    std::size_t size = 0;  // merged byte length, to detect entries made stale by other merges
};

// Highest score first; on ties the leftmost pair, as llama.cpp and llama2.c do.
struct BigramOrder {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

Result<std::unique_ptr<SentencePieceBpe>> SentencePieceBpe::create(SentencePieceVocab vocab) {
    const std::size_t n = vocab.pieces.size();
    if (n == 0) return err("SentencePiece vocabulary is empty");
    if (vocab.scores.empty()) vocab.scores.assign(n, 0.0f);
    if (vocab.scores.size() != n)
        return err("SentencePiece vocabulary has ", n, " pieces but ", vocab.scores.size(), " scores");
    if (!vocab.types.empty() && vocab.types.size() != n)
        return err("SentencePiece vocabulary has ", n, " pieces but ", vocab.types.size(), " token types");
    for (int id : {vocab.bos_id, vocab.eos_id, vocab.unk_id})
        if (id >= int(n)) return err("SentencePiece special token id ", id, " is outside the vocabulary of ", n);
    return std::unique_ptr<SentencePieceBpe>(new SentencePieceBpe(std::move(vocab)));
}

SentencePieceBpe::SentencePieceBpe(SentencePieceVocab vocab) : vocab_(std::move(vocab)) {
    bos_id = vocab_.bos_id;
    eos_id = vocab_.eos_id;
    add_bos = vocab_.add_bos;
    const std::size_t n = vocab_.pieces.size();
    pieces_.reserve(n);
    for (const std::string& p : vocab_.pieces)
        pieces_.add(vocab_.spaces_are_marked ? p : utf8::replace_all(p, " ", kSpaceMark));
    pieces_.shrink_to_fit();
    std::vector<std::string>().swap(vocab_.pieces);  // the table holds them now
    vocab_.spaces_are_marked = true;
    ids_by_piece_.resize(n);
    std::iota(ids_by_piece_.begin(), ids_by_piece_.end(), 0);
    std::stable_sort(ids_by_piece_.begin(), ids_by_piece_.end(),
                     [this](int a, int b) { return pieces_[std::size_t(a)] < pieces_[std::size_t(b)]; });
    byte_ids_.fill(vocab_.unk_id);
    for (int id = int(n) - 1; id >= 0; --id)  // the first id of a byte wins
        if (const int b = byte_value(id); b >= 0) byte_ids_[std::size_t(b)] = id;
}

SentencePieceVocab SentencePieceBpe::vocab() const {
    SentencePieceVocab v = vocab_;
    v.pieces.reserve(pieces_.size());
    for (std::size_t id = 0; id < pieces_.size(); ++id) v.pieces.emplace_back(pieces_[id]);
    return v;
}

int SentencePieceBpe::find_piece(std::string_view marked_piece) const {
    // A repeated piece resolves to its last id, as in llama.cpp: the last of the equal ones.
    const auto after = std::upper_bound(
        ids_by_piece_.begin(), ids_by_piece_.end(), marked_piece,
        [this](std::string_view piece, int id) { return piece < pieces_[std::size_t(id)]; });
    if (after == ids_by_piece_.begin()) return -1;
    const int id = *(after - 1);
    return pieces_[std::size_t(id)] == marked_piece ? id : -1;
}

std::vector<int> SentencePieceBpe::encode(std::string_view raw) const {
    std::vector<int> out;
    if (raw.empty()) return out;
    std::string text = vocab_.add_dummy_prefix ? " " : "";
    text.append(raw);
    text = utf8::replace_all(text, " ", kSpaceMark);

    // One symbol per UTF-8 character, linked in order.
    std::vector<Symbol> symbols;
    for (std::size_t pos = 0; pos < text.size();) {
        Symbol s;
        s.start = pos;
        s.n = utf8::char_length_at(text, pos);
        s.prev = int(symbols.size()) - 1;
        s.next = pos + s.n < text.size() ? int(symbols.size()) + 1 : -1;
        symbols.push_back(s);
        pos += s.n;
    }

    // Where each merged piece came from, to split pieces that are not in the vocabulary.
    std::unordered_map<std::string, std::pair<int, int>> merged_from;
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    const auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const std::string piece = text.substr(symbols[left].start, symbols[left].n + symbols[right].n);
        const int id = find_piece(piece);
        if (id < 0) return;
        queue.push(Bigram{left, right, vocab_.scores[std::size_t(id)], piece.size()});
        merged_from[piece] = {left, right};
    };
    for (int i = 1; i < int(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& left = symbols[b.left];
        Symbol& right = symbols[b.right];
        if (left.n == 0 || right.n == 0 || left.n + right.n != b.size) continue;  // stale
        left.n += right.n;
        right.n = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = b.left;
        try_add(left.prev, b.left);
        try_add(b.left, left.next);
    }

    for (int i = 0; i != -1 && i < int(symbols.size()); i = symbols[i].next)
        resegment(symbols, i, text, merged_from, out);
    return out;
}

void SentencePieceBpe::resegment(const std::vector<Symbol>& symbols, int index, std::string_view text,
                                 const std::unordered_map<std::string, std::pair<int, int>>& merged_from,
                                 std::vector<int>& out) const {
    const Symbol& s = symbols[index];
    const std::string piece(text.substr(s.start, s.n));
    if (const int id = find_piece(piece); id >= 0) {
        out.push_back(id);
        return;
    }
    const auto from = merged_from.find(piece);
    if (from == merged_from.end()) {
        // Not a piece and not built by merging: fall back to one <0xNN> token per byte.
        for (char c : piece) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
        return;
    }
    resegment(symbols, from->second.first, text, merged_from, out);
    resegment(symbols, from->second.second, text, merged_from, out);
}

bool SentencePieceBpe::is_control(int id) const {
    if (!vocab_.types.empty()) return vocab_.types[std::size_t(id)] == kTypeControl;
    return id == vocab_.bos_id || id == vocab_.eos_id;  // llama2.c files carry no types
}

int SentencePieceBpe::byte_value(int id) const {
    const bool byte_typed = vocab_.types.empty() || vocab_.types[std::size_t(id)] == kTypeByte;
    return byte_typed ? parse_byte_piece(pieces_[std::size_t(id)]) : -1;
}

std::string SentencePieceBpe::decode_piece(int prev, int id) const {
    if (id < 0 || id >= vocab_size()) return {};
    if (const int b = byte_value(id); b >= 0) return std::string(1, char(b));
    if (is_control(id)) return {};
    std::string piece = utf8::replace_all(pieces_[std::size_t(id)], kSpaceMark, " ");
    // The dummy-prefix space of the first word is not part of the text.
    if (prev == vocab_.bos_id && vocab_.add_dummy_prefix && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    return piece;
}

std::string SentencePieceBpe::token_label(int id) const {
    if (id < 0 || id >= vocab_size()) return "<invalid " + std::to_string(id) + ">";
    return utf8::printable(pieces_[std::size_t(id)]);
}

Result<std::unique_ptr<Tokenizer>> make_sentencepiece_bpe(SentencePieceVocab vocab) {
    KVS_ASSIGN(auto tok, SentencePieceBpe::create(std::move(vocab)));
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

}  // namespace kvs
