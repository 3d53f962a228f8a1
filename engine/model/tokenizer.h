#pragma once
// The tokenizer interface and the data the two implementations are built from.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kvs {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Text to ids, without BOS (llama.cpp's test vectors are written this way). Control tokens
    // ("<|endoftext|>", "<s>") are never produced from text here.
    virtual std::vector<int> encode(std::string_view text) const = 0;
    // encode(), except that control tokens written in the text become their ids, as prompts of
    // chat models need ("<|im_start|>user ..."): what transformers and llama.cpp do with prompts.
    virtual std::vector<int> encode_special(std::string_view text) const { return encode(text); }
    // The bytes a token stands for when it follows `prev` (SentencePiece drops the dummy-prefix
    // space after BOS; byte tokens <0xNN> become their byte). Raw bytes: a multi-byte UTF-8
    // character may be split across tokens.
    virtual std::string decode_piece(int prev, int id) const = 0;
    // A printable label for a token, for views and tables ("▁the", "<0x0A>", "<s>").
    virtual std::string token_label(int id) const = 0;
    virtual int vocab_size() const = 0;

    int bos_id = -1;
    int eos_id = -1;
    bool add_bos = false;
    bool parse_special = true;  // encode_prompt() uses encode_special()

    // encode() with BOS prepended when the model wants it. A prompt that encodes to nothing
    // starts from BOS even when BOS is not added to text (GPT-2 style models, as Hugging Face's
    // generate() does without input ids), so every model can generate from an empty prompt.
    std::vector<int> encode_prompt(std::string_view text) const {
        std::vector<int> ids;
        if (add_bos && bos_id >= 0) ids.push_back(bos_id);
        auto body = parse_special ? encode_special(text) : encode(text);
        ids.insert(ids.end(), body.begin(), body.end());
        if (ids.empty() && bos_id >= 0) ids.push_back(bos_id);
        return ids;
    }
    // The concatenated bytes of ids (the first id is decoded as if it followed BOS).
    std::string decode(std::span<const int> ids) const {
        std::string out;
        int prev = bos_id;
        for (int id : ids) {
            out += decode_piece(prev, id);
            prev = id;
        }
        return out;
    }
};

// SentencePiece-style BPE with scores (llama2.c tokenizer.bin, GGUF tokenizer.ggml.model=llama).
struct SentencePieceVocab {
    std::vector<std::string> pieces;  // pieces as stored; see spaces_are_marked
    std::vector<float> scores;        // merge priority: higher merges first
    std::vector<std::int32_t> types;  // GGUF token types (1 normal, 2 unknown, 3 control,
                                      // 4 user defined, 5 unused, 6 byte); empty if unknown
    bool spaces_are_marked = true;    // pieces use U+2581 for space (GGUF); llama2.c uses ' '
    int bos_id = 1, eos_id = 2, unk_id = 0;
    bool add_bos = true;
    bool add_dummy_prefix = true;     // a space is prepended to non-empty text
};
Result<std::unique_ptr<Tokenizer>> make_sentencepiece_bpe(SentencePieceVocab vocab);

class PreTokenizer;

// Byte-level BPE (GGUF tokenizer.ggml.model=gpt2, HF tokenizer.json, vocab.json+merges.txt).
struct ByteLevelVocab {
    std::vector<std::string> tokens;  // in GPT-2's byte-to-unicode alphabet ("Ġthe")
    std::vector<std::string> merges;  // "Ġ t", highest priority first
    std::vector<std::int32_t> types;  // GGUF token types, empty if unknown
    int bos_id = -1, eos_id = -1;
    bool add_bos = false;
    std::shared_ptr<const PreTokenizer> pre_tokenizer;  // null: GPT-2's pattern
    bool ignore_merges = false;  // a piece that is a token as a whole is not merged (Llama-3)
};
Result<std::unique_ptr<Tokenizer>> make_byte_level_bpe(ByteLevelVocab vocab);

}  // namespace kvs
