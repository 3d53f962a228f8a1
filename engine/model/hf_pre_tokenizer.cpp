#include "model/hf_pre_tokenizer.h"

#include "model/json_file.h"

namespace kvs {

using nlohmann::json;

namespace {

// A literal as a PCRE2 pattern (\Q...\E cannot hold "\E" itself, so that is spliced).
std::string quote(const std::string& s) {
    std::string out = "\\Q";
    for (std::size_t pos = 0;;) {
        const std::size_t e = s.find("\\E", pos);
        if (e == std::string::npos) {
            out += s.substr(pos);
            break;
        }
        out += s.substr(pos, e - pos) + "\\E\\\\E\\Q";
        pos = e + 2;
    }
    return out + "\\E";
}

Status add_steps(const json& c, const std::string& where, std::vector<PreTokenizer::Step>& steps) {
    if (!c.is_object()) return err(where, " is ", json_brief(c), ", expected an object");
    KVS_ASSIGN(const std::string type, json_string_or(c, "type", "", where));
    if (type == "Sequence") {
        const auto it = c.find("pretokenizers");
        if (it == c.end() || !it->is_array()) return err(where, ": a Sequence needs an array 'pretokenizers'");
        for (std::size_t i = 0; i < it->size(); ++i)
            KVS_TRY(add_steps((*it)[i], where + ".pretokenizers[" + std::to_string(i) + "]", steps));
        return {};
    }
    if (type == "ByteLevel") {
        KVS_ASSIGN(const bool use_regex, json_bool_or(c, "use_regex", true, where));
        KVS_ASSIGN(const bool prefix_space, json_bool_or(c, "add_prefix_space", false, where));
        if (prefix_space) return err(where, ": ByteLevel with add_prefix_space true is not supported");
        if (use_regex) steps.push_back({PreTokenizer::gpt2_pattern(), PreTokenizer::Behavior::Isolated});
        return {};
    }
    if (type == "Digits") {
        KVS_ASSIGN(const bool single, json_bool_or(c, "individual_digits", false, where));
        steps.push_back({single ? R"(\p{N})" : R"(\p{N}+)", PreTokenizer::Behavior::Isolated});
        return {};
    }
    if (type == "Split") {
        const auto p = c.find("pattern");
        std::string pattern;
        if (p != c.end() && p->is_object() && p->contains("Regex") && (*p)["Regex"].is_string())
            pattern = (*p)["Regex"].get<std::string>();
        else if (p != c.end() && p->is_object() && p->contains("String") && (*p)["String"].is_string())
            pattern = quote((*p)["String"].get<std::string>());
        else
            return err(where, ": Split needs 'pattern' {\"Regex\": ...} or {\"String\": ...}, got ",
                       p == c.end() ? std::string("nothing") : json_brief(*p));
        KVS_ASSIGN(const std::string behavior, json_string_or(c, "behavior", "Isolated", where));
        KVS_ASSIGN(const bool invert, json_bool_or(c, "invert", false, where));
        if (invert || (behavior != "Isolated" && behavior != "Removed"))
            return err(where, ": Split with behavior '", behavior, "'", invert ? " inverted" : "",
                       " is not supported (supported: Isolated, Removed)");
        steps.push_back({pattern, behavior == "Isolated" ? PreTokenizer::Behavior::Isolated : PreTokenizer::Behavior::Removed});
        return {};
    }
    return err(where, ": pre-tokenizer type '", type, "' is not supported for byte-level BPE (supported: ByteLevel, "
                      "Split, Digits, Sequence)");
}

}  // namespace

Result<std::shared_ptr<const PreTokenizer>> hf_pre_tokenizer(const json& pre, const std::string& origin) {
    std::vector<PreTokenizer::Step> steps;
    if (pre.is_null()) steps.push_back({PreTokenizer::gpt2_pattern(), PreTokenizer::Behavior::Isolated});
    else KVS_TRY(add_steps(pre, origin + ": pre_tokenizer", steps));
    KVS_ASSIGN(PreTokenizer p, PreTokenizer::create(std::move(steps), origin + " pre_tokenizer"));
    return std::make_shared<const PreTokenizer>(std::move(p));
}

}  // namespace kvs
