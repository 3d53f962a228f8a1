#include "model/hf_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "model/hf_pre_tokenizer.h"
#include "model/json_file.h"
#include "model/sentencepiece_model.h"

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
            return err(origin, ": token '", token, "' has id ", json_brief(id), ", expected 0..", v.size() - 1,
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
        else return err(origin, ": merge ", i, " is ", json_brief(e), ", expected \"left right\" or [left, right]");
    }
    return merges;
}

// The pipeline components of tokenizer.json (normalizer, pre_tokenizer, decoder,
// post_processor) are null or objects with a string "type"; a Sequence lists its steps under
// one of these keys.
constexpr const char* kStepLists[] = {"normalizers", "pretokenizers", "decoders", "processors"};

// Checks the shape of a component and of every step nested in it, so that the searches below
// can read "type" without meeting another JSON type. `where` names it: "'f': pre_tokenizer".
Status check_component(const json& c, const std::string& where) {
    if (c.is_null()) return {};
    if (!c.is_object()) return err(where, " is ", json_brief(c), ", expected an object or null");
    if (const auto t = c.find("type"); t != c.end() && !t->is_string())
        return err(where, ": key 'type' is ", json_brief(*t), ", expected a string");
    for (const char* list : kStepLists) {
        const auto it = c.find(list);
        if (it == c.end() || it->is_null()) continue;
        if (!it->is_array()) return err(where, ": key '", list, "' is ", json_brief(*it), ", expected an array");
        for (std::size_t i = 0; i < it->size(); ++i)
            KVS_TRY(check_component((*it)[i], where + "." + list + "[" + std::to_string(i) + "]"));
    }
    return {};
}

// A component's type, "" when it has none (only after check_component).
std::string type_of(const json& c) {
    if (!c.is_object()) return {};
    const auto t = c.find("type");
    return t != c.end() && t->is_string() ? t->get<std::string>() : std::string();
}

// The first step of a type inside a (possibly nested) component, or null.
const json* find_step(const json& component, const std::string& type) {
    if (!component.is_object()) return nullptr;
    if (type_of(component) == type) return &component;
    for (const char* list : kStepLists) {
        const auto it = component.find(list);
        if (it == component.end() || !it->is_array()) continue;
        for (const json& c : *it)
            if (const json* found = find_step(c, type)) return found;
    }
    return nullptr;
}

bool has_step(const json& component, const std::string& type) { return find_step(component, type) != nullptr; }

// A top-level member of tokenizer.json, null when absent; the reference stays valid as long as
// the document does (never a temporary: find_step returns pointers into it).
const json& member(const json& doc, const char* key) {
    static const json kNull;
    const auto it = doc.find(key);
    return it == doc.end() ? kNull : *it;
}

// The special token a TemplateProcessing post-processor puts before a single sequence.
Result<std::string> template_bos(const json& post, const std::string& where) {
    const json* t = find_step(post, "TemplateProcessing");
    if (t == nullptr) return std::string();
    const auto single = t->find("single");
    if (single == t->end() || single->is_null()) return std::string();
    if (!single->is_array()) return err(where, ": key 'single' is ", json_brief(*single), ", expected an array");
    if (single->empty()) return std::string();
    const json& first = (*single)[0];
    if (!first.is_object()) return err(where, ": single[0] is ", json_brief(first), ", expected an object");
    const auto special = first.find("SpecialToken");
    if (special == first.end()) return std::string();
    if (!special->is_object())
        return err(where, ": key 'SpecialToken' is ", json_brief(*special), ", expected an object");
    return json_string_or(*special, "id", "", where + ": single[0].SpecialToken");
}

// Does the text get a leading U+2581 before BPE (Llama's "dummy prefix")?
Result<bool> adds_dummy_prefix(const json& j, const std::string& origin) {
    if (const json* p = find_step(member(j, "normalizer"), "Prepend")) {
        KVS_ASSIGN(const std::string prepend, json_string_or(*p, "prepend", "", origin + ": normalizer Prepend"));
        if (prepend == kSpaceMark) return true;
    }
    if (const json* m = find_step(member(j, "pre_tokenizer"), "Metaspace")) {
        const std::string where = origin + ": pre_tokenizer Metaspace";
        KVS_ASSIGN(const std::string scheme, json_string_or(*m, "prepend_scheme", "", where));
        if (!scheme.empty()) return scheme != "never";
        return json_bool_or(*m, "add_prefix_space", true, where);
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
                                                   const std::string& origin, const json* tokenizer_json = nullptr) {
    ByteLevelVocab b;
    if (tokenizer_json) {  // its pre-tokenizer and model.ignore_merges; vocab.json + merges.txt are GPT-2's
        KVS_ASSIGN(b.pre_tokenizer, hf_pre_tokenizer(member(*tokenizer_json, "pre_tokenizer"), origin));
        KVS_ASSIGN(b.ignore_merges, json_bool_or(member(*tokenizer_json, "model"), "ignore_merges", false, origin + ": model"));
    }
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
    const json& model = member(j, "model");
    KVS_ASSIGN(const bool byte_fallback, json_bool_or(model, "byte_fallback", false, origin + ": model"));
    for (std::size_t id = 0; id < n; ++id) {
        const std::string& p = v.tokens[id];
        if (byte_fallback && v.types[id] == kTypeNormal && p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>')
            v.types[id] = kTypeByte;
    }
    KVS_ASSIGN(const std::string unk, json_string_or(model, "unk_token", "<unk>", origin + ": model"));
    sp.unk_id = v.find(unk);
    if (sp.unk_id >= 0 && v.types[std::size_t(sp.unk_id)] != kTypeByte) v.types[std::size_t(sp.unk_id)] = kTypeUnknown;
    if (sp.unk_id < 0) sp.unk_id = 0;
    sp.pieces = std::move(v.tokens);
    sp.types = std::move(v.types);
    sp.spaces_are_marked = true;
    sp.bos_id = s.bos;
    sp.eos_id = s.eos;
    sp.add_bos = s.add_bos;
    KVS_ASSIGN(sp.add_dummy_prefix, adds_dummy_prefix(j, origin));
    auto tok = make_sentencepiece_bpe(std::move(sp));
    if (!tok.ok()) return err(origin, ": ", tok.message());
    return tok;
}

Result<std::unique_ptr<Tokenizer>> from_tokenizer_json(const fs::path& path, const TokenizerConfig& tc,
                                                       const HfTokenDefaults& d) {
    KVS_ASSIGN(const json j, read_json_file(path.string()));
    const std::string origin = "'" + path.string() + "'";
    if (!j.is_object() || !member(j, "model").is_object()) return err(origin, ": missing object 'model'");
    const json& model = member(j, "model");
    KVS_ASSIGN(const std::string type, json_string_or(model, "type", "BPE", origin + ": model"));
    if (type != "BPE")
        return err(origin, ": tokenizer model type '", type, "' is not supported; expected 'BPE'");
    for (const char* component : {"normalizer", "pre_tokenizer", "decoder", "post_processor"})
        KVS_TRY(check_component(member(j, component), origin + ": " + component));
    Vocab v;
    if (!model.contains("vocab")) return err(origin, ": missing 'model.vocab'");
    KVS_TRY(read_vocab_object(member(model, "vocab"), origin + " model.vocab", v));
    KVS_ASSIGN(std::vector<std::string> merges, read_merges(member(model, "merges"), origin));

    // Added tokens: special ones are control tokens, others are matched verbatim in text.
    const json& added = member(j, "added_tokens");
    if (!added.is_null() && !added.is_array())
        return err(origin, ": key 'added_tokens' is ", json_brief(added), ", expected an array");
    for (std::size_t i = 0; i < added.size() && added.is_array(); ++i) {
        const json& a = added[i];
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string())
            return err(origin, ": added_tokens entry ", json_brief(a), " lacks an integer 'id' and a string 'content'");
        const std::int64_t id = a["id"].get<std::int64_t>();
        const std::string content = a["content"].get<std::string>();
        if (id < 0 || id > std::int64_t(v.tokens.size()))
            return err(origin, ": added token '", content, "' has id ", json_brief(a["id"]), ", leaving a gap after the ",
                       v.tokens.size(), " tokens before it");
        KVS_ASSIGN(const bool special, json_bool_or(a, "special", false, origin + ": added_tokens[" + std::to_string(i) + "]"));
        if (id == std::int64_t(v.tokens.size())) {
            v.tokens.push_back(content);
            v.types.push_back(kTypeNormal);
            v.id_of[content] = int(id);
        }
        v.types[std::size_t(id)] = special ? kTypeControl : kTypeUserDefined;
    }

    const json &pre = member(j, "pre_tokenizer"), &decoder = member(j, "decoder");
    const bool byte_level = has_step(pre, "ByteLevel") || has_step(decoder, "ByteLevel");
    KVS_ASSIGN(const bool byte_fallback, json_bool_or(model, "byte_fallback", false, origin + ": model"));
    KVS_ASSIGN(const bool dummy_prefix, adds_dummy_prefix(j, origin));
    const bool sentencepiece = !byte_level && (byte_fallback || has_step(pre, "Metaspace") ||
                                               has_step(decoder, "Metaspace") || dummy_prefix ||
                                               has_step(decoder, "ByteFallback"));
    if (!byte_level && !sentencepiece)
        return err(origin, ": a BPE tokenizer that is neither byte-level (GPT-2) nor SentencePiece-style "
                           "(U+2581 spaces, byte fallback) is not supported");
    KVS_ASSIGN(const std::string template_first, template_bos(member(j, "post_processor"), origin + ": post_processor"));
    const Specials s = resolve_specials(v, tc, d, template_first, sentencepiece);
    if (byte_level) return make_byte_level(std::move(v), std::move(merges), s, origin, &j);
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
    if (fs::exists(root / "tokenizer.model", ec)) {  // SentencePiece protobuf; tokenizer_config.json may override BOS
        KVS_ASSIGN(SentencePieceVocab v, read_sentencepiece_model((root / "tokenizer.model").string()));
        if (tc.add_bos) v.add_bos = *tc.add_bos;
        auto tok = make_sentencepiece_bpe(std::move(v));
        if (!tok.ok()) return err("'", (root / "tokenizer.model").string(), "': ", tok.message());
        return tok;
    }
    return err("'", dir, "' has no tokenizer: expected tokenizer.json, vocab.json with merges.txt, or tokenizer.model");
}

}  // namespace kvs
