#include "vocab_fixture.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "gguf_writer.h"
#include "model/gguf_reader.h"
#include "test_paths.h"

namespace kvs::test {

namespace {

constexpr char kLost[] = "\xEF\xBF\xBD";  // what a non-UTF-8 byte became

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Reads a damaged little-endian integer of `width` original bytes at `pos`. A lost byte
// (any value 0x80..0xFF) is reported through `lost_index`; at most one may be lost.
struct DamagedInt {
    std::uint64_t known = 0;  // the value with the lost byte taken as zero
    int lost_index = -1;
};
std::optional<DamagedInt> read_damaged(const std::string& b, std::size_t& pos, int width) {
    DamagedInt v;
    for (int i = 0; i < width; ++i) {
        if (b.compare(pos, 3, kLost) == 0) {
            if (v.lost_index >= 0) return std::nullopt;
            v.lost_index = i;
            pos += 3;
        } else {
            if (pos >= b.size()) return std::nullopt;
            v.known |= std::uint64_t(static_cast<unsigned char>(b[pos])) << (8 * i);
            ++pos;
        }
    }
    return v;
}

// A length field that could start at `pos`: bytes 2..7 are zero (token strings are short).
bool plausible_length_at(const std::string& b, std::size_t pos) {
    auto v = read_damaged(b, pos, 8);
    return v && v->known < 65536 && (v->lost_index < 0 || v->lost_index < 2);
}

bool whole_utf8(const std::string& b, std::size_t pos, std::size_t n);

// Whether a string array element can start at `pos` (before `end`): a plausible length whose
// string is whole UTF-8, followed (`depth` more times) by another such element or the end.
bool element_chain_at(const std::string& b, std::size_t pos, std::size_t end, int depth) {
    if (pos == end) return true;
    if (pos > end || !plausible_length_at(b, pos)) return false;
    std::size_t after = pos;
    const auto len = read_damaged(b, after, 8);
    if (!len || len->lost_index >= 0) return true;  // a damaged length: cannot look further
    if (after + len->known > end || !whole_utf8(b, after, len->known)) return false;
    return depth == 0 || element_chain_at(b, after + len->known, end, depth - 1);
}

// Whether bytes [pos, pos + n) are whole UTF-8 sequences without NUL (token and merge strings
// always are; length fields are not, since their high bytes are zero).
bool whole_utf8(const std::string& b, std::size_t pos, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const auto lead = static_cast<unsigned char>(b[pos + i]);
        if (lead == 0) return false;
        const std::size_t len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                                : (lead & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(b[pos + i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

// Where the count of original bytes `remaining` can end when read from `pos`: one replacement
// character stands for one to three lost bytes (a lead byte with its continuation bytes is
// replaced once when the sequence is cut short: E8 BE 00 becomes EF BF BD 00).
void count_ends(const std::string& b, std::size_t pos, int remaining, std::vector<std::size_t>& out) {
    if (remaining == 0) {
        out.push_back(pos);
        return;
    }
    if (pos >= b.size()) return;
    if (b.compare(pos, 3, kLost) == 0)
        for (int k = 1; k <= std::min(3, remaining); ++k) count_ends(b, pos + 3, remaining - k, out);
    else
        count_ends(b, pos + 1, remaining - 1, out);
}

// Where the array stored under `key` starts (its first element) and ends (the next key). Its
// element count is often damaged; the start is the reading of it after which the elements
// parse (strings) or fill the span in whole int32s.
struct ArraySpan {
    std::size_t begin = 0, end = 0;
};
std::optional<ArraySpan> locate_array(const std::string& b, const std::string& key, bool strings) {
    const std::size_t k = b.find(key);
    if (k == std::string::npos) return std::nullopt;
    const std::size_t pos = k + key.size() + 4 + 4;  // value type, element type
    std::size_t next = b.find("tokenizer.ggml.", pos);
    if (next == std::string::npos || next < pos + 8) return std::nullopt;
    const std::size_t end = next - 8;  // the next key's length (short keys: intact)
    std::vector<std::size_t> begins;
    count_ends(b, pos, 8, begins);
    for (std::size_t begin : begins)
        if (strings ? element_chain_at(b, begin, end, 2) : (begin <= end && (end - begin) % 4 == 0))
            return ArraySpan{begin, end};
    return std::nullopt;
}

std::optional<std::vector<std::string>> salvage_strings(const std::string& b, const std::string& key) {
    const auto span = locate_array(b, key, true);
    if (!span) return std::nullopt;
    std::vector<std::string> out;
    std::size_t pos = span->begin;
    while (pos < span->end) {
        auto len = read_damaged(b, pos, 8);
        if (!len) return std::nullopt;
        std::uint64_t n = len->known;
        if (len->lost_index >= 0) {  // try each value the lost byte may have held, smallest first
            bool found = false;
            for (std::uint64_t lost = 0x80; lost <= 0xFF && !found; ++lost) {
                const std::uint64_t cand = len->known | (lost << (8 * len->lost_index));
                const std::size_t after = pos + cand;
                const bool fits = element_chain_at(b, after, span->end, 4);
                if (fits && whole_utf8(b, pos, cand)) {
                    n = cand;
                    found = true;
                }
            }
            if (!found) return std::nullopt;
        }
        if (pos + n > span->end) return std::nullopt;
        out.push_back(b.substr(pos, n));
        pos += n;
    }
    return out;
}

std::optional<std::vector<std::int32_t>> salvage_int32s(const std::string& b, const std::string& key) {
    const auto span = locate_array(b, key, false);
    if (!span) return std::nullopt;
    std::vector<std::int32_t> out((span->end - span->begin) / 4);
    std::memcpy(out.data(), b.data() + span->begin, out.size() * 4);
    return out;
}

// The scores of a llama2.c tokenizer.bin: int32 max length, then per piece a float32
// score, an int32 length and the bytes. Only the scores and pieces are needed here.
struct Llama2cVocab {
    std::vector<std::string> pieces;
    std::vector<float> scores;
};
std::optional<Llama2cVocab> read_llama2c_vocab(const std::string& path) {
    const std::string b = read_all(path);
    Llama2cVocab v;
    std::size_t pos = 4;
    while (pos + 8 <= b.size()) {
        float score;
        std::int32_t len;
        std::memcpy(&score, b.data() + pos, 4);
        std::memcpy(&len, b.data() + pos + 4, 4);
        pos += 8;
        if (len < 0 || pos + std::size_t(len) > b.size()) return std::nullopt;
        v.scores.push_back(score);
        v.pieces.push_back(b.substr(pos, std::size_t(len)));
        pos += std::size_t(len);
    }
    return v;
}

// A string value stored under `key` (the pre-tokenizer name), if its length survived.
std::optional<std::string> salvage_string(const std::string& b, const std::string& key) {
    const std::size_t k = b.find(key);
    if (k == std::string::npos) return std::nullopt;
    std::size_t pos = k + key.size();
    auto type = read_damaged(b, pos, 4);
    auto len = read_damaged(b, pos, 8);
    if (!type || !len || type->lost_index >= 0 || type->known != 8 || len->lost_index >= 0 || pos + len->known > b.size())
        return std::nullopt;
    return b.substr(pos, len->known);
}

std::string with_space_marks(const std::string& s) {
    std::string out;
    for (char c : s) out += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
    return out;
}

Result<std::string> rebuild(const std::string& shared_gguf, const std::string& out_path) {
    const std::string b = read_all(shared_gguf);
    const auto tokens = salvage_strings(b, "tokenizer.ggml.tokens");
    const auto types = salvage_int32s(b, "tokenizer.ggml.token_type");
    if (!tokens || !types || tokens->size() != types->size())
        return err(shared_gguf, ": cannot recover tokens and token types");
    GgufWriter w;
    const bool llama = b.find("tokenizer.ggml.scores") != std::string::npos;
    w.add_string("general.architecture", llama ? "llama" : "gpt2");
    w.add_string("tokenizer.ggml.model", llama ? "llama" : "gpt2");
    w.add_string_array("tokenizer.ggml.tokens", *tokens);
    w.add_i32_array("tokenizer.ggml.token_type", *types);
    if (const auto pre = salvage_string(b, "tokenizer.ggml.pre")) w.add_string("tokenizer.ggml.pre", *pre);
    if (llama) {
        // The scores are lost; the Llama 2 vocabulary in llama2.c format has them for the 32000
        // pieces these vocabularies share (Phi-3 appends added tokens, which merges never form).
        const auto l2c = read_llama2c_vocab(shared_path("models/llama2-tokenizer/tokenizer.bin"));
        if (!l2c || l2c->pieces.size() > tokens->size())
            return err("llama2-tokenizer/tokenizer.bin does not hold the first ", tokens->size(), " pieces");
        for (std::size_t i = 3; i < l2c->pieces.size(); ++i)  // 0..2 are spelled differently by llama2.c
            if (with_space_marks(l2c->pieces[i]) != (*tokens)[i])
                return err("tokenizer.bin piece ", i, " differs from the GGUF token '", (*tokens)[i], "'");
        std::vector<float> scores = l2c->scores;
        scores.resize(tokens->size(), 0.0f);
        w.add_f32_array("tokenizer.ggml.scores", scores);
        w.add_u32("tokenizer.ggml.bos_token_id", 1);
        w.add_u32("tokenizer.ggml.eos_token_id", 2);
        w.add_u32("tokenizer.ggml.unknown_token_id", 0);
        w.add_bool("tokenizer.ggml.add_bos_token", true);
        w.add_bool("tokenizer.ggml.add_eos_token", false);
    } else {
        const auto merges = salvage_strings(b, "tokenizer.ggml.merges");
        if (!merges) return err(shared_gguf, ": cannot recover merges");
        w.add_string_array("tokenizer.ggml.merges", *merges);
        // The ids were damaged; GPT-2 style vocabularies end with <|endoftext|>, used for both.
        const auto eot = std::uint32_t(tokens->size() - 1);
        if ((*tokens)[eot] == "<|endoftext|>") {
            w.add_u32("tokenizer.ggml.bos_token_id", eot);
            w.add_u32("tokenizer.ggml.eos_token_id", eot);
        }
    }
    KVS_TRY(w.write(out_path));
    return out_path;
}

}  // namespace

Result<std::string> usable_vocab_gguf(const std::string& shared_gguf, const std::string& work_dir, std::string& note) {
    auto intact = GgufFile::open(shared_gguf);
    if (intact.ok()) {
        note = "read " + shared_gguf + " as stored";
        return shared_gguf;
    }
    const std::string name = shared_gguf.substr(shared_gguf.find_last_of('/') + 1);
    auto rebuilt = rebuild(shared_gguf, work_dir + "/" + name);
    if (!rebuilt.ok()) return err(intact.message(), "; rebuilding it failed: ", rebuilt.message());
    note = "the shared file is damaged (" + intact.message() + "); testing a copy rebuilt from what survived";
    return rebuilt;
}

}  // namespace kvs::test
