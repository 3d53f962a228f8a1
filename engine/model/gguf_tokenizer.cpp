#include "model/gguf_tokenizer.h"

#include "model/pre_tokenizer.h"

namespace kvs {

namespace {

Result<std::vector<std::int32_t>> read_token_types(const GgufFile& f, std::size_t n_tokens) {
    std::vector<std::int32_t> types;
    if (!f.has("tokenizer.ggml.token_type")) return types;
    KVS_ASSIGN(auto raw, f.get_int_array("tokenizer.ggml.token_type"));
    if (raw.size() != n_tokens)
        return err(f.path(), ": key 'tokenizer.ggml.token_type' has ", raw.size(), " entries, expected one per token (",
                   n_tokens, ")");
    types.assign(raw.begin(), raw.end());
    return types;
}

// An optional token id: absent gives the fallback; present must lie inside the vocabulary.
Result<int> read_token_id(const GgufFile& f, const char* key, int fallback, std::size_t n_tokens) {
    KVS_ASSIGN(const std::int64_t id, f.get_int_or(key, fallback));
    if (id >= std::int64_t(n_tokens) || id < -1)
        return err(f.path(), ": key '", key, "' is ", id, ", outside the vocabulary of ", n_tokens, " tokens");
    return int(id);
}

Result<std::unique_ptr<Tokenizer>> load_sentencepiece(const GgufFile& f, std::vector<std::string> tokens) {
    SentencePieceVocab v;
    const std::size_t n = tokens.size();
    if (f.has("tokenizer.ggml.scores")) {
        KVS_ASSIGN(v.scores, f.get_float_array("tokenizer.ggml.scores"));
        if (v.scores.size() != n)
            return err(f.path(), ": key 'tokenizer.ggml.scores' has ", v.scores.size(),
                       " entries, expected one per token (", n, ")");
    }
    KVS_ASSIGN(v.types, read_token_types(f, n));
    v.pieces = std::move(tokens);
    v.spaces_are_marked = true;
    KVS_ASSIGN(v.bos_id, read_token_id(f, "tokenizer.ggml.bos_token_id", 1, n));
    KVS_ASSIGN(v.eos_id, read_token_id(f, "tokenizer.ggml.eos_token_id", 2, n));
    KVS_ASSIGN(v.unk_id, read_token_id(f, "tokenizer.ggml.unknown_token_id", 0, n));
    KVS_ASSIGN(v.add_bos, f.get_bool_or("tokenizer.ggml.add_bos_token", true));
    KVS_ASSIGN(v.add_dummy_prefix, f.get_bool_or("tokenizer.ggml.add_space_prefix", true));
    return make_sentencepiece_bpe(std::move(v));
}

Result<std::unique_ptr<Tokenizer>> load_byte_level(const GgufFile& f, std::vector<std::string> tokens) {
    ByteLevelVocab v;
    const std::size_t n = tokens.size();
    KVS_ASSIGN(v.merges, f.get_string_array("tokenizer.ggml.merges"));
    KVS_ASSIGN(v.types, read_token_types(f, n));
    v.tokens = std::move(tokens);
    KVS_ASSIGN(v.bos_id, read_token_id(f, "tokenizer.ggml.bos_token_id", -1, n));
    KVS_ASSIGN(v.eos_id, read_token_id(f, "tokenizer.ggml.eos_token_id", -1, n));
    KVS_ASSIGN(v.add_bos, f.get_bool_or("tokenizer.ggml.add_bos_token", false));
    // llama.cpp's converter names the pre-tokenizer; files without the key (older GPT-2
    // conversions) use GPT-2's pattern, which is also what Hugging Face's ByteLevel does.
    if (f.has("tokenizer.ggml.pre")) {
        KVS_ASSIGN(const std::string pre, f.get_string("tokenizer.ggml.pre"));
        auto p = PreTokenizer::for_gguf_name(pre, v.ignore_merges);
        if (!p.ok()) return err(f.path(), ": ", p.message());
        v.pre_tokenizer = std::make_shared<const PreTokenizer>(std::move(p).value());
    }
    auto tok = make_byte_level_bpe(std::move(v));
    if (!tok.ok()) return err(f.path(), ": ", tok.message());
    return tok;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const GgufFile& f) {
    KVS_ASSIGN(const std::string model, f.get_string("tokenizer.ggml.model"));
    KVS_ASSIGN(auto tokens, f.get_string_array("tokenizer.ggml.tokens"));
    if (tokens.empty()) return err(f.path(), ": key 'tokenizer.ggml.tokens' is an empty array");
    if (model == "llama") {
        auto tok = load_sentencepiece(f, std::move(tokens));
        if (!tok.ok() && tok.message().rfind(f.path(), 0) != 0) return err(f.path(), ": ", tok.message());
        return tok;
    }
    if (model == "gpt2") return load_byte_level(f, std::move(tokens));
    return err(f.path(), ": tokenizer model '", model,
               "' (key 'tokenizer.ggml.model') is not supported; expected 'llama' or 'gpt2'");
}

Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const std::string& path) {
    KVS_ASSIGN(const GgufFile file, GgufFile::open(path));
    return load_gguf_tokenizer(file);
}

}  // namespace kvs
