#include "model/model_presets.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model/embedded_presets.h"
#include "model/json_file.h"

namespace kvs {
namespace {

using nlohmann::json;

Result<int> positive_int(const json& j, const char* key, const std::string& origin) {
    auto it = j.find(key);
    if (it == j.end()) return err("preset ", origin, ": missing key '", key, "'");
    if (!it->is_number_integer() || it->get<long long>() <= 0 || it->get<long long>() > (1LL << 30))
        return err("preset ", origin, ": '", key, "' must be a positive integer, got ", json_brief(*it));
    return int(it->get<long long>());
}

Result<double> number(const json& j, const char* key, const std::string& origin) {
    auto it = j.find(key);
    if (it == j.end()) return err("preset ", origin, ": missing key '", key, "'");
    if (!it->is_number() || it->get<double>() < 0)
        return err("preset ", origin, ": '", key, "' must be a non-negative number, got ", json_brief(*it));
    return it->get<double>();
}

Result<std::string> text(const json& j, const char* key, const std::string& origin) {
    auto it = j.find(key);
    if (it == j.end()) return err("preset ", origin, ": missing key '", key, "'");
    if (!it->is_string() || it->get<std::string>().empty())
        return err("preset ", origin, ": '", key, "' must be a non-empty string, got ", json_brief(*it));
    return it->get<std::string>();
}

Result<ModelPreset> parse_object(const json& j, const std::string& origin) {
    if (!j.is_object()) return err("preset ", origin, ": expected a JSON object");
    ModelPreset p;
    KVS_ASSIGN(p.name, text(j, "name", origin));
    KVS_ASSIGN(p.display_name, text(j, "display_name", origin));
    KVS_ASSIGN(p.source, text(j, "source", origin));
    KVS_ASSIGN(const std::string arch, text(j, "architecture", origin));
    ModelConfig& c = p.config;
    if (arch == "llama") c.arch = Architecture::Llama;
    else if (arch == "gpt2") c.arch = Architecture::Gpt2;
    else return err("preset ", origin, ": 'architecture' must be \"llama\" or \"gpt2\", got \"", arch, "\"");
    c.name = p.name;
    KVS_ASSIGN(c.dim, positive_int(j, "dim", origin));
    KVS_ASSIGN(c.hidden_dim, positive_int(j, "hidden_dim", origin));
    KVS_ASSIGN(c.n_layers, positive_int(j, "n_layers", origin));
    KVS_ASSIGN(c.n_heads, positive_int(j, "n_heads", origin));
    KVS_ASSIGN(c.n_kv_heads, positive_int(j, "n_kv_heads", origin));
    KVS_ASSIGN(c.vocab_size, positive_int(j, "vocab_size", origin));
    KVS_ASSIGN(c.max_seq_len, positive_int(j, "max_seq_len", origin));
    KVS_ASSIGN(const double eps, number(j, "norm_eps", origin));
    KVS_ASSIGN(const double theta, number(j, "rope_theta", origin));
    c.norm_eps = float(eps);
    c.rope_theta = float(theta);
    auto tied = j.find("tied");
    if (tied == j.end() || !tied->is_boolean())
        return err("preset ", origin, ": 'tied' must be true or false (classifier shares the token embedding)");
    c.tied_classifier = tied->get<bool>();
    if (auto it = j.find("rope_style"); it != j.end()) {
        const std::string style = it->is_string() ? it->get<std::string>() : json_brief(*it);
        if (style == "half-rotate") c.rope_style = RopeStyle::HalfRotate;
        else if (style == "adjacent-pairs") c.rope_style = RopeStyle::AdjacentPairs;
        else return err("preset ", origin, ": 'rope_style' must be \"adjacent-pairs\" or \"half-rotate\", got ", style);
    }
    if (auto it = j.find("vocabulary"); it != j.end()) {
        if (!it->is_string() || it->get<std::string>().empty())
            return err("preset ", origin, ": 'vocabulary' must be a non-empty string (\"llama2\", \"gpt2\", ...), got ",
                       json_brief(*it));
        p.vocabulary = it->get<std::string>();
    }
    if (auto it = j.find("qkv_bias"); it != j.end()) {
        if (!it->is_boolean()) return err("preset ", origin, ": 'qkv_bias' must be true or false");
        c.qkv_bias = it->get<bool>();
    }
    if (c.norm_eps <= 0.0f) return err("preset ", origin, ": 'norm_eps' must be positive, got ", eps);
    if (c.arch == Architecture::Llama && c.rope_theta <= 0.0f)
        return err("preset ", origin, ": a llama preset needs 'rope_theta' > 0 (RoPE base), got ", theta);
    if (c.dim % c.n_heads != 0)
        return err("preset ", origin, ": dim ", c.dim, " is not a multiple of n_heads ", c.n_heads);
    if (c.n_heads % c.n_kv_heads != 0)
        return err("preset ", origin, ": n_heads ", c.n_heads, " is not a multiple of n_kv_heads ", c.n_kv_heads);
    if (c.arch == Architecture::Gpt2 && c.n_kv_heads != c.n_heads)
        return err("preset ", origin, ": a gpt2 preset needs n_kv_heads == n_heads (", c.n_heads, ")");
    return p;
}

Result<std::vector<ModelPreset>> parse_embedded() {
    std::vector<ModelPreset> out;
    for (const EmbeddedPreset& e : embedded_presets()) {
        KVS_ASSIGN(ModelPreset p, parse_model_preset(e.json, e.file));
        if (p.name + ".json" != e.file)
            return err("preset ", e.file, ": 'name' is \"", p.name, "\" but the file name says \"", e.file, "\"");
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

}  // namespace

Result<ModelPreset> parse_model_preset(std::string_view json_text, const std::string& origin) {
    KVS_TRY(check_json_depth(json_text, "preset " + origin));
    json j = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return err("preset ", origin, ": not valid JSON");
    return parse_object(j, origin);
}

Result<std::vector<ModelPreset>> model_presets() {
    static const Result<std::vector<ModelPreset>> all = parse_embedded();
    return all;
}

std::vector<std::string> model_preset_names() {
    std::vector<std::string> names;
    auto all = model_presets();
    if (all.ok())
        for (const auto& p : *all) names.push_back(p.name);
    return names;
}

Result<ModelPreset> find_model_preset(const std::string& name) {
    KVS_ASSIGN(auto all, model_presets());
    std::string valid;
    for (const auto& p : all) {
        if (p.name == name) return p;
        valid += (valid.empty() ? "" : ", ") + p.name;
    }
    return err("unknown model preset '", name, "'; valid presets: ", valid);
}

}  // namespace kvs
