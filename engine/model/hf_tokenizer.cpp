#include "model/hf_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "model/json_file.h"

namespace kvs {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int32_t kTypeNormal = 1, kTypeUnknown = 2, kTypeControl = 3, kTypeUserDefined = 4, kTypeByte = 6;
constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581

// A vocabulary read from JSON: tokens by id, plus the reverse map.
struct Vocab {
    std::vector<std::string> tokens;
    std::vector<std::int32_t> types;
    std::unordered_map<std::string, int> id_of;
    int find(const std::string& token) const {
        const auto it = id_of.find(token);
        return it == id_of.end() ? -1 : it->second;
    }
};

// What tokenizer_config.json says (every field optional).
struct TokenizerConfig {
    std::optional<bool> add_bos;
    std::string bos_token, eos_token, unk_token;
};

// A token in tokenizer_config.json is a string or an AddedToken object {"content": ...}.
std::string token_text(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
    return {};
}

Result<TokenizerConfig> read_tokenizer_config(const fs::path& dir) {
    TokenizerConfig tc;
    const fs::path path = dir / "tokenizer_config.json";
    std::error_code ec;
    if (!fs::exists(path, ec)) return tc;
    KVS_ASSIGN(const json j, read_json_file(path.string()));
    if (!j.is_object()) return err("'", path.string(), "': expected a JSON object");
    if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean()) tc.add_bos = j["add_bos_token"].get<bool>();
    if (j.contains("bos_token")) tc.bos_token = token_text(j["bos_token"]);
    if (j.contains("eos_token")) tc.eos_token = token_text(j["eos_token"]);
    if (j.contains("unk_token")) tc.unk_token = token_text(j["unk_token"]);
    return tc;
}

// {"token": id, ...} into tokens by id; ids must cover 0..n-1 without gaps.
Status read_vocab_object(const json& v, const std::string& origin, Vocab& out) {
    if (!v.is_object() || v.empty()) return err(origin, ": the vocabulary is not a non-empty object of token ids");
    out.tokens.assign(v.size(), std::string());
    std::vector<bool> seen(v.size(), false);
    for (const auto& [token, id] : v.items()) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= std::int64_t(v.size()))
            return err(origin, ": token '", token, "' has id ", id.dump(), ", expected 0..", v.size() - 1,
                       " (ids must be dense)");
        const auto i = std::size_t(id.get<std::int64_t>());
        if (seen[i]) return err(origin, ": id ", i, " is given to more than one token");
        seen[i] = true;
        out.tokens[i] = token;
        out.id_of[token] = int(i);
    }
    out.types.assign(out.tokens.size(), kTypeNormal);
    return {};
}

// Merges as "left right" strings; tokenizer.json writes them as strings or as pairs.
Result<std::vector<std::string>> read_merges(const json& m, const std::string& origin) {
    std::vector<std::string> merges;
    if (m.is_null()) return merges;
    if (!m.is_array()) return err(origin, ": 'model.merges' is ", m.type_name(), ", expected an array");
    merges.reserve(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) {
        const json& e = m[i];
        if (e.is_string()) merges.push_back(e.get<std::string>());
        else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string())
            merges.push_back(e[0].get<std::string>() + " " + e[1].get<std::string>());
        else return err(origin, ": merge ", i, " is ", e.dump(), ", expected \"left right\" or [left, right]");
    }
    return merges;
}

// Does a tokenizer.json component (possibly a Sequence) contain a step of this type?
bool has_step(const json& component, const std::string& type) {
    if (!component.is_object()) return false;
    if (component.value("type", "") == type) return true;
    for (const char* list : {"normalizers", "pretokenizers", "decoders", "processors"})
        if (component.contains(list) && component[list].is_array())
            for (const json& c : component[list])
                if (has_step(c, type)) return true;
    return false;
}

// The first step of a type inside a (possibly nested) component, or null.
const json* find_step(const json& component, const std::string& type) {
    if (!component.is_object()) return nullptr;
    if (component.value("type", "") == type) return &component;
    for (const char* list : {"normalizers", "pretokenizers", "decoders", "processors"})
        if (component.contains(list) && component[list].is_array())
            for (const json& c : component[list])
                if (const json* found = find_step(c, type)) return found;
    return nullptr;
}

// The special token a TemplateProcessing post-processor puts before a single sequence.
std::string template_bos(const json& post) {
    const json* t = find_step(post, "TemplateProcessing");
    if (t == nullptr || !t->contains("single") || !(*t)["single"].is_array() || (*t)["single"].empty()) return {};
    const json& first = (*t)["single"][0];
    if (first.contains("SpecialToken") && first["SpecialToken"].is_object())
        return first["SpecialToken"].value("id", "");
    return {};
}

// Does the text get a leading U+2581 before BPE (Llama's "dummy prefix")?
bool adds_dummy_prefix(const json& j) {
    const json normalizer = j.value("normalizer", json());
    if (const json* p = find_step(normalizer, "Prepend"); p != nullptr && p->value("prepend", "") == kSpaceMark)
        return true;
    if (const json* m = find_step(j.value("pre_tokenizer", json()), "Metaspace")) {
        const std::string scheme = m->value("prepend_scheme", "");
        if (!scheme.empty()) return scheme != "never";
        return m->value("add_prefix_space", true);
    }
    return false;
}

struct Specials {
    int bos = -1, eos = -1;
    bool add_bos = false;
};

// BOS/EOS: tokenizer_config.json's tokens, else config.json's ids, else the style's usual names.
Specials resolve_specials(const Vocab& v, const TokenizerConfig& tc, const HfTokenDefaults& d,
                          const std::string& template_first, bool sentencepiece) {
    Specials s;
    s.bos = v.find(tc.bos_token);
    if (s.bos < 0) s.bos = d.bos_id;
    if (s.bos < 0) s.bos = v.find(template_first);
    if (s.bos < 0) s.bos = v.find(sentencepiece ? "<s>" : "<|endoftext|>");
    s.eos = v.find(tc.eos_token);
    if (s.eos < 0 && !d.eos_ids.empty()) s.eos = d.eos_ids.front();
    if (s.eos < 0) s.eos = v.find(sentencepiece ? "</s>" : "<|endoftext|>");
    if (s.bos >= int(v.tokens.size())) s.bos = -1;
    if (s.eos >= int(v.tokens.size())) s.eos = -1;
    // HF's GPT-2 tokenizer adds nothing; Llama's adds <s> (its post-processor template says so).
    s.add_bos = tc.add_bos.value_or(!template_first.empty() || sentencepiece);
    return s;
}

Result<std::unique_ptr<Tokenizer>> make_byte_level(Vocab v, std::vector<std::string> merges, const Specials& s,
                                                   const std::string& origin) {
    ByteLevelVocab b;
    b.tokens = std::move(v.tokens);
    b.types = std::move(v.types);
    b.merges = std::move(merges);
    b.bos_id = s.bos;
    b.eos_id = s.eos;
    b.add_bos = s.add_bos;
    auto tok = make_byte_level_bpe(std::move(b));
    if (!tok.ok()) return err(origin, ": ", tok.message());
    return tok;
}

// HF writes SentencePiece BPE as ranked merges; the SentencePiece encoder ranks by piece score.
// A merged piece scores minus the rank of the first merge producing it, so the highest score is
// the earliest merge, which is the order HF applies them in.
Result<std::unique_ptr<Tokenizer>> make_sentencepiece(const json& j, Vocab v, const std::vector<std::string>& merges,
                                                      const Specials& s, const std::string& origin) {
    SentencePieceVocab sp;
    const std::size_t n = v.tokens.size();
    sp.scores.assign(n, -float(merges.size() + 1));
    for (std::size_t rank = merges.size(); rank-- > 0;) {
        std::string merged = merges[rank];
        const std::size_t space = merged.find(' ');
        if (space == std::string::npos) return err(origin, ": merge ", rank, " '", merged, "' is not two pieces");
        merged.erase(space, 1);
        if (const int id = v.find(merged); id >= 0) sp.scores[std::size_t(id)] = -float(rank);
    }
    const json& model = j["model"];
    const bool byte_fallback = model.value("byte_fallback", false);
    for (std::size_t id = 0; id < n; ++id) {
        const std::string& p = v.tokens[id];
        if (byte_fallback && v.types[id] == kTypeNormal && p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>')
            v.types[id] = kTypeByte;
    }
    sp.unk_id = v.find(model.contains("unk_token") && model["unk_token"].is_string() ? model["unk_token"].get<std::string>() : "<unk>");
    if (sp.unk_id >= 0 && v.types[std::size_t(sp.unk_id)] != kTypeByte) v.types[std::size_t(sp.unk_id)] = kTypeUnknown;
    if (sp.unk_id < 0) sp.unk_id = 0;
    sp.pieces = std::move(v.tokens);
    sp.types = std::move(v.types);
    sp.spaces_are_marked = true;
    sp.bos_id = s.bos;
    sp.eos_id = s.eos;
    sp.add_bos = s.add_bos;
    sp.add_dummy_prefix = adds_dummy_prefix(j);
    auto tok = make_sentencepiece_bpe(std::move(sp));
    if (!tok.ok()) return err(origin, ": ", tok.message());
    return tok;
}

Result<std::unique_ptr<Tokenizer>> from_tokenizer_json(const fs::path& path, const TokenizerConfig& tc,
                                                       const HfTokenDefaults& d) {
    KVS_ASSIGN(const json j, read_json_file(path.string()));
    const std::string origin = "'" + path.string() + "'";
    if (!j.is_object() || !j.contains("model") || !j["model"].is_object())
        return err(origin, ": missing object 'model'");
    const json& model = j["model"];
    const std::string type = model.value("type", "BPE");
    if (type != "BPE")
        return err(origin, ": tokenizer model type '", type, "' is not supported; expected 'BPE'");
    Vocab v;
    if (!model.contains("vocab")) return err(origin, ": missing 'model.vocab'");
    KVS_TRY(read_vocab_object(model["vocab"], origin + " model.vocab", v));
    KVS_ASSIGN(std::vector<std::string> merges, read_merges(model.value("merges", json()), origin));

    // Added tokens: special ones are control tokens, others are matched verbatim in text.
    const json added = j.value("added_tokens", json::array());
    for (const json& a : added) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string())
            return err(origin, ": added_tokens entry ", a.dump(), " lacks an integer 'id' and a string 'content'");
        const std::int64_t id = a["id"].get<std::int64_t>();
        const std::string content = a["content"].get<std::string>();
        if (id < 0 || id > std::int64_t(v.tokens.size()))
            return err(origin, ": added token '", content, "' has id ", id, ", leaving a gap after the ",
                       v.tokens.size(), " tokens before it");
        if (id == std::int64_t(v.tokens.size())) {
            v.tokens.push_back(content);
            v.types.push_back(kTypeNormal);
            v.id_of[content] = int(id);
        }
        v.types[std::size_t(id)] = a.value("special", false) ? kTypeControl : kTypeUserDefined;
    }

    const json pre = j.value("pre_tokenizer", json()), decoder = j.value("decoder", json());
    const bool byte_level = has_step(pre, "ByteLevel") || has_step(decoder, "ByteLevel");
    const bool sentencepiece = !byte_level && (model.value("byte_fallback", false) || has_step(pre, "Metaspace") ||
                                               has_step(decoder, "Metaspace") || adds_dummy_prefix(j) ||
                                               has_step(decoder, "ByteFallback"));
    if (!byte_level && !sentencepiece)
        return err(origin, ": a BPE tokenizer that is neither byte-level (GPT-2) nor SentencePiece-style "
                           "(U+2581 spaces, byte fallback) is not supported");
    const Specials s = resolve_specials(v, tc, d, template_bos(j.value("post_processor", json())), sentencepiece);
    if (byte_level) return make_byte_level(std::move(v), std::move(merges), s, origin);
    return make_sentencepiece(j, std::move(v), merges, s, origin);
}

Result<std::unique_ptr<Tokenizer>> from_vocab_and_merges(const fs::path& vocab_path, const fs::path& merges_path,
                                                         const TokenizerConfig& tc, const HfTokenDefaults& d) {
    KVS_ASSIGN(const json vj, read_json_file(vocab_path.string()));
    Vocab v;
    KVS_TRY(read_vocab_object(vj, "'" + vocab_path.string() + "'", v));
    std::ifstream f(merges_path);
    if (!f) return err("cannot open '", merges_path.string(), "'");
    std::vector<std::string> merges;
    std::string line;
    while (std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.rfind("#version", 0) == 0) continue;
        merges.push_back(line);
    }
    const int eot = v.find("<|endoftext|>");
    if (eot >= 0) v.types[std::size_t(eot)] = kTypeControl;
    const Specials s = resolve_specials(v, tc, d, "", false);
    return make_byte_level(std::move(v), std::move(merges), s, "'" + merges_path.string() + "'");
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_hf_tokenizer(const std::string& dir, const HfTokenDefaults& defaults) {
    const fs::path root(dir);
    KVS_ASSIGN(const TokenizerConfig tc, read_tokenizer_config(root));
    std::error_code ec;
    if (fs::exists(root / "tokenizer.json", ec)) return from_tokenizer_json(root / "tokenizer.json", tc, defaults);
    const bool has_vocab = fs::exists(root / "vocab.json", ec), has_merges = fs::exists(root / "merges.txt", ec);
    if (has_vocab && has_merges) return from_vocab_and_merges(root / "vocab.json", root / "merges.txt", tc, defaults);
    if (has_vocab || has_merges)
        return err("'", dir, "' has ", has_vocab ? "vocab.json but no merges.txt" : "merges.txt but no vocab.json",
                   ": a byte-level BPE tokenizer needs both");
    const bool has_spm = fs::exists(root / "tokenizer.model", ec);
    return err("'", dir, "' has no tokenizer: expected tokenizer.json, or vocab.json with merges.txt",
               has_spm ? " (tokenizer.model, a SentencePiece protobuf, is not read)" : "");
}

}  // namespace kvs
