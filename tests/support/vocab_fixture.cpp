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

// Whether bytes [pos, pos + n) are whole UTF-8 sequences (token strings always are).
bool whole_utf8(const std::string& b, std::size_t pos, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const auto lead = static_cast<unsigned char>(b[pos + i]);
        const std::size_t len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                                : (lead & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(b[pos + i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

// Where the array stored under `key` starts (its first element) and ends (the next key).
struct ArraySpan {
    std::size_t begin = 0, end = 0;
};
std::optional<ArraySpan> locate_array(const std::string& b, const std::string& key) {
    const std::size_t k = b.find(key);
    if (k == std::string::npos) return std::nullopt;
    std::size_t pos = k + key.size() + 4 + 4;  // value type, element type
    if (!read_damaged(b, pos, 8)) return std::nullopt;  // the element count (often damaged)
    std::size_t next = b.find("tokenizer.ggml.", pos);
    if (next == std::string::npos || next < pos + 8) return std::nullopt;
    return ArraySpan{pos, next - 8};
}

std::optional<std::vector<std::string>> salvage_strings(const std::string& b, const std::string& key) {
    const auto span = locate_array(b, key);
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
                const bool fits = after == span->end || (after < span->end && plausible_length_at(b, after));
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
    const auto span = locate_array(b, key);
    if (!span || (span->end - span->begin) % 4 != 0) return std::nullopt;
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
    if (llama) {
        const auto l2c = read_llama2c_vocab(shared_path("models/llama2-tokenizer/tokenizer.bin"));
        if (!l2c || l2c->pieces.size() != tokens->size())
            return err("llama2-tokenizer/tokenizer.bin does not hold ", tokens->size(), " pieces");
        for (std::size_t i = 3; i < tokens->size(); ++i)  // 0..2 are spelled differently by llama2.c
            if (with_space_marks(l2c->pieces[i]) != (*tokens)[i])
                return err("tokenizer.bin piece ", i, " differs from the GGUF token '", (*tokens)[i], "'");
        w.add_f32_array("tokenizer.ggml.scores", l2c->scores);
        w.add_u32("tokenizer.ggml.bos_token_id", 1);
        w.add_u32("tokenizer.ggml.eos_token_id", 2);
        w.add_u32("tokenizer.ggml.unknown_token_id", 0);
        w.add_bool("tokenizer.ggml.add_bos_token", true);
        w.add_bool("tokenizer.ggml.add_eos_token", false);
    } else {
        const auto merges = salvage_strings(b, "tokenizer.ggml.merges");
        if (!merges) return err(shared_gguf, ": cannot recover merges");
        w.add_string_array("tokenizer.ggml.merges", *merges);
        // Both ids were damaged; GPT-2 uses its last token, <|endoftext|>, for both.
        const auto eot = std::uint32_t(tokens->size() - 1);
        if ((*tokens)[eot] != "<|endoftext|>") return err(shared_gguf, ": last token is not <|endoftext|>");
        w.add_u32("tokenizer.ggml.bos_token_id", eot);
        w.add_u32("tokenizer.ggml.eos_token_id", eot);
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
