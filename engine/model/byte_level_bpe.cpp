#include "model/byte_level_bpe.h"

#include <algorithm>
#include <queue>

#include "model/utf8.h"

namespace kvs {

namespace {

constexpr std::int32_t kTypeControl = 3;
constexpr std::int32_t kTypeUserDefined = 4;

// GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves; the rest (controls,
// space, DEL, NBSP, soft hyphen) are moved to code points 256+ so every byte is visible.
struct ByteAlphabet {
    std::array<std::string, 256> char_of_byte;
    std::unordered_map<std::uint32_t, std::uint8_t> byte_of_char;

    ByteAlphabet() {
        std::uint32_t next = 256;
        for (std::uint32_t b = 0; b < 256; ++b) {
            const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            const std::uint32_t cp = printable ? b : next++;
            char_of_byte[b] = utf8::encode(cp);
            byte_of_char[cp] = std::uint8_t(b);
        }
    }
};

const ByteAlphabet& alphabet() {
    static const ByteAlphabet table;
    return table;
}

struct Pair {
    int left = 0, right = 0;
    int rank = 0;
    std::size_t size = 0;
};

// Lowest rank first; on ties the leftmost pair.
struct PairOrder {
    bool operator()(const Pair& a, const Pair& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

}  // namespace

const std::string& ByteLevelBpe::byte_char(std::uint8_t byte) { return alphabet().char_of_byte[byte]; }

std::vector<std::string_view> ByteLevelBpe::pre_tokenize(std::string_view text) { return PreTokenizer::gpt2().split(text); }

Result<std::unique_ptr<ByteLevelBpe>> ByteLevelBpe::create(ByteLevelVocab vocab) {
    const std::size_t n = vocab.tokens.size();
    if (n == 0) return err("byte-level BPE vocabulary is empty");
    if (!vocab.types.empty() && vocab.types.size() != n)
        return err("byte-level BPE vocabulary has ", n, " tokens but ", vocab.types.size(), " token types");
    for (int id : {vocab.bos_id, vocab.eos_id})
        if (id >= int(n)) return err("byte-level BPE special token id ", id, " is outside the vocabulary of ", n);
    for (std::size_t i = 0; i < vocab.merges.size(); ++i) {
        const std::string& m = vocab.merges[i];
        const std::size_t space = m.find(' ', 1);
        if (space == std::string::npos || space + 1 >= m.size())
            return err("byte-level BPE merge ", i, " '", m, "' is not two tokens separated by a space");
    }
    if (!vocab.pre_tokenizer && PreTokenizer::gpt2().steps() == 0)
        return err("PCRE2 could not compile the GPT-2 pre-tokenizer pattern");
    return std::unique_ptr<ByteLevelBpe>(new ByteLevelBpe(std::move(vocab)));
}

ByteLevelBpe::ByteLevelBpe(ByteLevelVocab vocab) : vocab_(std::move(vocab)) {
    pre_ = vocab_.pre_tokenizer ? vocab_.pre_tokenizer
                                : std::shared_ptr<const PreTokenizer>(&PreTokenizer::gpt2(), [](const PreTokenizer*) {});
    bos_id = vocab_.bos_id;
    eos_id = vocab_.eos_id;
    add_bos = vocab_.add_bos;
    for (std::size_t id = 0; id < vocab_.tokens.size(); ++id) {
        id_of_[vocab_.tokens[id]] = int(id);
        if (vocab_.types.empty() || vocab_.tokens[id].empty()) continue;
        if (vocab_.types[id] == kTypeUserDefined) user_defined_.push_back(int(id));
        if (vocab_.types[id] == kTypeUserDefined || vocab_.types[id] == kTypeControl) with_control_.push_back(int(id));
    }
    for (std::size_t rank = 0; rank < vocab_.merges.size(); ++rank)
        merge_rank_.emplace(vocab_.merges[rank], int(rank));  // the first listing of a pair wins
    const auto longest_first = [this](int a, int b) {
        return vocab_.tokens[std::size_t(a)].size() > vocab_.tokens[std::size_t(b)].size();
    };
    std::stable_sort(user_defined_.begin(), user_defined_.end(), longest_first);
    std::stable_sort(with_control_.begin(), with_control_.end(), longest_first);
}

std::vector<int> ByteLevelBpe::encode_impl(std::string_view text, bool special) const {
    std::vector<int> out;
    // Split around user-defined (and with `special`, control) tokens, longest match first;
    // BPE-encode the text between.
    const std::vector<int>& verbatim = special ? with_control_ : user_defined_;
    std::size_t plain_start = 0;
    for (std::size_t pos = 0; pos < text.size() && !verbatim.empty();) {
        int hit = -1;
        for (int id : verbatim) {
            const std::string& t = vocab_.tokens[std::size_t(id)];
            if (text.compare(pos, t.size(), t) == 0) {
                hit = id;
                break;
            }
        }
        if (hit < 0) {
            ++pos;
            continue;
        }
        encode_text(text.substr(plain_start, pos - plain_start), out);
        out.push_back(hit);
        pos += vocab_.tokens[std::size_t(hit)].size();
        plain_start = pos;
    }
    encode_text(text.substr(plain_start), out);
    return out;
}

void ByteLevelBpe::encode_text(std::string_view text, std::vector<int>& out) const {
    for (std::string_view word : pre_->split(text)) encode_word(word, out);
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int>& out) const {
    // One symbol per byte, written in the byte alphabet.
    std::string mapped;
    std::vector<std::size_t> start, length;
    for (char c : word) {
        const std::string& ch = alphabet().char_of_byte[static_cast<unsigned char>(c)];
        start.push_back(mapped.size());
        length.push_back(ch.size());
        mapped += ch;
    }
    if (vocab_.ignore_merges)
        if (const auto it = id_of_.find(mapped); it != id_of_.end()) {
            out.push_back(it->second);
            return;
        }
    const int n = int(start.size());
    std::vector<int> prev(static_cast<std::size_t>(n)), next(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        prev[std::size_t(i)] = i - 1;
        next[std::size_t(i)] = i + 1 < n ? i + 1 : -1;
    }

    std::priority_queue<Pair, std::vector<Pair>, PairOrder> queue;
    const auto try_add = [&](int l, int r) {
        if (l < 0 || r < 0) return;
        std::string key = mapped.substr(start[std::size_t(l)], length[std::size_t(l)]);
        key += ' ';
        key.append(mapped, start[std::size_t(r)], length[std::size_t(r)]);
        const auto it = merge_rank_.find(key);
        if (it != merge_rank_.end())
            queue.push(Pair{l, r, it->second, length[std::size_t(l)] + length[std::size_t(r)]});
    };
    for (int i = 1; i < n; ++i) try_add(i - 1, i);
    while (!queue.empty()) {
        const Pair p = queue.top();
        queue.pop();
        auto& ll = length[std::size_t(p.left)];
        auto& rl = length[std::size_t(p.right)];
        if (ll == 0 || rl == 0 || ll + rl != p.size || next[std::size_t(p.left)] != p.right) continue;  // stale
        ll += rl;
        rl = 0;
        const int after = next[std::size_t(p.right)];
        next[std::size_t(p.left)] = after;
        if (after >= 0) prev[std::size_t(after)] = p.left;
        try_add(prev[std::size_t(p.left)], p.left);
        try_add(p.left, after);
    }

    for (int i = 0; i >= 0 && i < n; i = next[std::size_t(i)]) {
        const std::string symbol = mapped.substr(start[std::size_t(i)], length[std::size_t(i)]);
        if (const auto it = id_of_.find(symbol); it != id_of_.end()) {
            out.push_back(it->second);
            continue;
        }
        // A merge whose result is missing from the vocabulary: emit its bytes one by one.
        for (std::size_t pos = 0; pos < symbol.size();) {
            const std::size_t len = utf8::char_length_at(symbol, pos);
            if (const auto it = id_of_.find(symbol.substr(pos, len)); it != id_of_.end()) out.push_back(it->second);
            pos += len;
        }
    }
}

std::string ByteLevelBpe::decode_piece(int /*prev*/, int id) const {
    if (id < 0 || id >= vocab_size()) return {};
    const std::string& token = vocab_.tokens[std::size_t(id)];
    if (!vocab_.types.empty()) {
        if (vocab_.types[std::size_t(id)] == kTypeControl) return {};
        if (vocab_.types[std::size_t(id)] == kTypeUserDefined) return token;
    }
    std::string bytes;
    for (std::size_t pos = 0; pos < token.size();) {
        const std::size_t before = pos;
        const std::uint32_t cp = utf8::decode_at(token, pos);
        const auto it = alphabet().byte_of_char.find(cp);
        if (it != alphabet().byte_of_char.end()) bytes += char(it->second);
        else bytes.append(token, before, pos - before);  // outside the alphabet: keep as written
    }
    return bytes;
}

std::string ByteLevelBpe::token_label(int id) const {
    if (id < 0 || id >= vocab_size()) return "<invalid " + std::to_string(id) + ">";
    return utf8::printable(vocab_.tokens[std::size_t(id)]);
}

Result<std::unique_ptr<Tokenizer>> make_byte_level_bpe(ByteLevelVocab vocab) {
    KVS_ASSIGN(auto tok, ByteLevelBpe::create(std::move(vocab)));
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

}  // namespace kvs
