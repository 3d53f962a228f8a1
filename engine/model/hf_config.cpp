#include "model/hf_config.h"

#include <filesystem>
#include <limits>

#include "model/json_file.h"

namespace kvs {

using nlohmann::json;

namespace {

Result<int> positive(const json& j, const std::string& key, const std::string& origin) {
    KVS_ASSIGN(const std::int64_t v, json_int(j, key, origin));
    if (v <= 0 || v > std::numeric_limits<int>::max())
        return err(origin, ": key '", key, "' is ", v, ", expected a positive 32-bit count");
    return int(v);
}

// The first key present, for fields whose name changed between versions (n_positions/n_ctx).
Result<int> positive_of(const json& j, std::initializer_list<const char*> keys, const std::string& origin) {
    for (const char* k : keys)
        if (j.contains(k) && !j[k].is_null()) return positive(j, k, origin);
    return positive(j, *keys.begin(), origin);
}

Result<std::vector<int>> token_ids(const json& j, const std::string& key, const std::string& origin) {
    std::vector<int> ids;
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return ids;
    const json list = it->is_array() ? *it : json::array({*it});
    for (const json& v : list) {
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > std::numeric_limits<int>::max())
            return err(origin, ": key '", key, "' is ", json_brief(*it), ", expected a token id or a list of them");
        ids.push_back(v.get<int>());
    }
    return ids;
}

Status check_heads(const ModelConfig& c, const std::string& origin) {
    if (c.dim % c.n_heads != 0)
        return err(origin, ": hidden size ", c.dim, " is not a multiple of the ", c.n_heads, " attention heads");
    if (c.n_heads % c.n_kv_heads != 0)
        return err(origin, ": ", c.n_heads, " attention heads are not a multiple of the ", c.n_kv_heads,
                   " key/value heads");
    return {};
}

Status read_gpt2(const json& j, const std::string& origin, ModelConfig& c) {
    c.arch = Architecture::Gpt2;
    KVS_ASSIGN(c.n_layers, positive(j, "n_layer", origin));
    KVS_ASSIGN(c.n_heads, positive(j, "n_head", origin));
    KVS_ASSIGN(c.dim, positive(j, "n_embd", origin));
    KVS_ASSIGN(c.max_seq_len, positive_of(j, {"n_positions", "n_ctx"}, origin));
    KVS_ASSIGN(c.vocab_size, positive(j, "vocab_size", origin));
    c.n_kv_heads = c.n_heads;
    KVS_ASSIGN(const std::int64_t inner, json_int_or(j, "n_inner", 4LL * c.dim, origin));
    if (inner <= 0 || inner > std::numeric_limits<int>::max())
        return err(origin, ": key 'n_inner' is ", inner, ", expected a positive count");
    c.hidden_dim = int(inner);
    KVS_ASSIGN(const double eps, json_number_or(j, "layer_norm_epsilon", 1e-5, origin));
    c.norm_eps = float(eps);
    KVS_ASSIGN(const std::string act, json_string_or(j, "activation_function", "gelu_new", origin));
    // The CPU kernels implement the tanh approximation, which is what GPT-2 was trained with.
    if (act != "gelu_new" && act != "gelu_pytorch_tanh" && act != "gelu_fast")
        return err(origin, ": activation_function '", act,
                   "' is not supported; expected the tanh GELU ('gelu_new' or 'gelu_pytorch_tanh')");
    KVS_ASSIGN(c.tied_classifier, json_bool_or(j, "tie_word_embeddings", true, origin));
    c.qkv_bias = true;
    return check_heads(c, origin);
}

Status read_llama(const json& j, const std::string& type, const std::string& origin, ModelConfig& c) {
    c.arch = Architecture::Llama;
    KVS_ASSIGN(c.dim, positive(j, "hidden_size", origin));
    KVS_ASSIGN(c.hidden_dim, positive(j, "intermediate_size", origin));
    KVS_ASSIGN(c.n_layers, positive(j, "num_hidden_layers", origin));
    KVS_ASSIGN(c.n_heads, positive(j, "num_attention_heads", origin));
    c.n_kv_heads = c.n_heads;
    if (j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()) {
        KVS_ASSIGN(c.n_kv_heads, positive(j, "num_key_value_heads", origin));
    }
    KVS_ASSIGN(c.vocab_size, positive(j, "vocab_size", origin));
    KVS_ASSIGN(c.max_seq_len, positive(j, "max_position_embeddings", origin));
    KVS_TRY(check_heads(c, origin));
    KVS_ASSIGN(const std::int64_t head_dim, json_int_or(j, "head_dim", c.head_dim(), origin));
    if (head_dim != c.head_dim())
        return err(origin, ": head_dim ", head_dim, " differs from hidden_size / num_attention_heads = ", c.head_dim(),
                   ", which kvscope does not support");
    KVS_ASSIGN(const double eps, json_number_or(j, "rms_norm_eps", 1e-6, origin));
    c.norm_eps = float(eps);
    KVS_ASSIGN(const double theta, json_number_or(j, "rope_theta", 10000.0, origin));
    c.rope_theta = float(theta);
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
        return err(origin, ": rope_scaling ", json_brief(j["rope_scaling"]), " is not supported");
    KVS_ASSIGN(const std::string act, json_string_or(j, "hidden_act", "silu", origin));
    if (act != "silu") return err(origin, ": hidden_act '", act, "' is not supported; expected 'silu' (SwiGLU)");
    KVS_ASSIGN(c.tied_classifier, json_bool_or(j, "tie_word_embeddings", false, origin));
    // Hugging Face stores Q and K rows so that RoPE rotates the two halves of each head.
    c.rope_style = RopeStyle::HalfRotate;
    c.qkv_bias = type == "qwen2";
    // A sliding window smaller than the context is not modelled: limit the context to it.
    KVS_ASSIGN(const std::int64_t window, json_int_or(j, "sliding_window", 0, origin));
    KVS_ASSIGN(const bool use_window, json_bool_or(j, "use_sliding_window", type == "mistral", origin));
    if (use_window && window > 0 && window < c.max_seq_len) c.max_seq_len = int(window);
    return {};
}

}  // namespace

Result<HfConfig> read_hf_config(const std::string& dir) {
    const std::string path = (std::filesystem::path(dir) / "config.json").string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return err("'", dir, "' is not a Hugging Face model folder: it has no config.json");
    KVS_ASSIGN(const json j, read_json_file(path));
    const std::string origin = "'" + path + "'";
    if (!j.is_object()) return err(origin, ": expected a JSON object, found ", j.type_name());
    HfConfig cfg;
    KVS_ASSIGN(cfg.model_type, json_string_or(j, "model_type", "", origin));
    if (cfg.model_type == "gpt2") {
        KVS_TRY(read_gpt2(j, origin, cfg.model));
    } else if (cfg.model_type == "llama" || cfg.model_type == "mistral" || cfg.model_type == "qwen2") {
        KVS_TRY(read_llama(j, cfg.model_type, origin, cfg.model));
    } else {
        return err(origin, ": model_type '", cfg.model_type,
                   "' is not supported; expected 'gpt2', 'llama', 'mistral' or 'qwen2'");
    }
    KVS_ASSIGN(const std::vector<int> bos, token_ids(j, "bos_token_id", origin));
    if (!bos.empty()) cfg.bos_id = bos.front();
    KVS_ASSIGN(cfg.eos_ids, token_ids(j, "eos_token_id", origin));
    for (int id : bos)
        if (id >= cfg.model.vocab_size) return err(origin, ": bos_token_id ", id, " is outside the vocabulary of ", cfg.model.vocab_size);
    for (int id : cfg.eos_ids)
        if (id >= cfg.model.vocab_size) return err(origin, ": eos_token_id ", id, " is outside the vocabulary of ", cfg.model.vocab_size);
    cfg.model.name = std::filesystem::path(dir).filename().string();
    if (cfg.model.name.empty()) cfg.model.name = std::filesystem::path(dir).parent_path().filename().string();
    return cfg;
}

}  // namespace kvs
