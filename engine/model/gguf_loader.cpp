#include "model/gguf_loader.h"

#include <algorithm>
#include <limits>
#include <map>

#include "model/gguf_tensors.h"
#include "model/model_limits.h"
#include "model/gguf_tokenizer.h"

namespace kvs {

namespace {

// A positive int-sized metadata value, or an error naming the key.
Result<int> positive_int(const GgufFile& f, const std::string& key) {
    KVS_ASSIGN(const std::int64_t v, f.get_int(key));
    if (v <= 0 || v > std::numeric_limits<int>::max())
        return err(f.path(), ": key '", key, "' is ", v, ", expected a positive 32-bit count");
    return int(v);
}

std::string file_stem(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// The storage type of most weight elements (norms are often F32 beside Q8_0 matrices).
std::string dominant_matrix_type(const GgufFile& f) {
    std::map<std::string, std::int64_t> elements;
    for (const auto& t : f.tensors())
        if (t.dims.size() >= 2) elements[ggml_type_name(t.type_id)] += t.element_count;
    std::string best = "F32";
    std::int64_t most = -1;
    for (const auto& [type, n] : elements)
        if (n > most) best = type, most = n;
    return best;
}

std::string blk(int layer, const char* name) { return "blk." + std::to_string(layer) + "." + name; }

Status load_llama_layers(const GgufTensorSource& src, ModelConfig& cfg, ModelWeights& w) {
    const int d = cfg.dim, kv = cfg.kv_dim(), h = cfg.hidden_dim;
    cfg.qkv_bias = src.has(blk(0, "attn_q.bias"));
    for (int l = 0; l < cfg.n_layers; ++l) {
        LayerWeights& L = w.layers[std::size_t(l)];
        KVS_ASSIGN(L.attn_norm, src.vector(blk(l, "attn_norm.weight"), d, "the attention RMSNorm [dim]"));
        KVS_ASSIGN(L.wq, src.matrix(blk(l, "attn_q.weight"), d, d, "the query projection [dim, dim]"));
        KVS_ASSIGN(L.wk, src.matrix(blk(l, "attn_k.weight"), kv, d, "the key projection [kv_dim, dim]"));
        KVS_ASSIGN(L.wv, src.matrix(blk(l, "attn_v.weight"), kv, d, "the value projection [kv_dim, dim]"));
        if (cfg.qkv_bias) {
            KVS_ASSIGN(L.bq, src.vector(blk(l, "attn_q.bias"), d, "the query bias [dim]"));
            KVS_ASSIGN(L.bk, src.vector(blk(l, "attn_k.bias"), kv, "the key bias [kv_dim]"));
            KVS_ASSIGN(L.bv, src.vector(blk(l, "attn_v.bias"), kv, "the value bias [kv_dim]"));
        }
        KVS_ASSIGN(L.wo, src.matrix(blk(l, "attn_output.weight"), d, d, "the attention output [dim, dim]"));
        KVS_ASSIGN(L.ffn_norm, src.vector(blk(l, "ffn_norm.weight"), d, "the FFN RMSNorm [dim]"));
        KVS_ASSIGN(L.w_gate, src.matrix(blk(l, "ffn_gate.weight"), h, d, "the FFN gate [hidden_dim, dim]"));
        KVS_ASSIGN(L.w_up, src.matrix(blk(l, "ffn_up.weight"), h, d, "the FFN up projection [hidden_dim, dim]"));
        KVS_ASSIGN(L.w_down, src.matrix(blk(l, "ffn_down.weight"), d, h, "the FFN down projection [dim, hidden_dim]"));
    }
    return {};
}

Status load_gpt2_layers(const GgufTensorSource& src, ModelConfig& cfg, ModelWeights& w) {
    const int d = cfg.dim, h = cfg.hidden_dim;
    for (int l = 0; l < cfg.n_layers; ++l) {
        LayerWeights& L = w.layers[std::size_t(l)];
        KVS_ASSIGN(L.attn_norm, src.vector(blk(l, "attn_norm.weight"), d, "ln_1 weight [dim]"));
        KVS_ASSIGN(L.attn_norm_bias, src.vector(blk(l, "attn_norm.bias"), d, "ln_1 bias [dim]"));
        // c_attn holds Q, K and V stacked: [3 * dim, dim], bias [3 * dim].
        KVS_ASSIGN(const Tensor qkv, src.matrix(blk(l, "attn_qkv.weight"), 3 * d, d, "c_attn [3 * dim, dim]"));
        KVS_ASSIGN(const Tensor qkv_bias, src.vector(blk(l, "attn_qkv.bias"), 3 * d, "c_attn bias [3 * dim]"));
        split_fused_qkv(qkv, qkv_bias, d, L);
        KVS_ASSIGN(L.wo, src.matrix(blk(l, "attn_output.weight"), d, d, "attn.c_proj [dim, dim]"));
        KVS_ASSIGN(L.bo, src.vector(blk(l, "attn_output.bias"), d, "attn.c_proj bias [dim]"));
        KVS_ASSIGN(L.ffn_norm, src.vector(blk(l, "ffn_norm.weight"), d, "ln_2 weight [dim]"));
        KVS_ASSIGN(L.ffn_norm_bias, src.vector(blk(l, "ffn_norm.bias"), d, "ln_2 bias [dim]"));
        KVS_ASSIGN(L.w_up, src.matrix(blk(l, "ffn_up.weight"), h, d, "c_fc [hidden_dim, dim]"));
        KVS_ASSIGN(L.b_up, src.vector(blk(l, "ffn_up.bias"), h, "c_fc bias [hidden_dim]"));
        KVS_ASSIGN(L.w_down, src.matrix(blk(l, "ffn_down.weight"), d, h, "mlp.c_proj [dim, hidden_dim]"));
        KVS_ASSIGN(L.b_down, src.vector(blk(l, "ffn_down.bias"), d, "mlp.c_proj bias [dim]"));
    }
    return {};
}

}  // namespace

Result<ModelConfig> read_gguf_config(const GgufFile& f) {
    ModelConfig cfg;
    KVS_ASSIGN(const std::string arch, f.get_string("general.architecture"));
    if (arch == "llama") cfg.arch = Architecture::Llama;
    else if (arch == "gpt2") cfg.arch = Architecture::Gpt2;
    else return err(f.path(), ": architecture '", arch, "' (key 'general.architecture') is not supported; expected "
                              "'llama' or 'gpt2'");
    const std::string p = arch + ".";
    KVS_ASSIGN(cfg.name, f.get_string_or("general.name", file_stem(f.path())));
    KVS_ASSIGN(cfg.max_seq_len, positive_int(f, p + "context_length"));
    KVS_ASSIGN(cfg.dim, positive_int(f, p + "embedding_length"));
    KVS_ASSIGN(cfg.n_layers, positive_int(f, p + "block_count"));
    KVS_ASSIGN(cfg.hidden_dim, positive_int(f, p + "feed_forward_length"));
    KVS_ASSIGN(cfg.n_heads, positive_int(f, p + "attention.head_count"));
    cfg.n_kv_heads = cfg.n_heads;
    if (f.has(p + "attention.head_count_kv")) {
        KVS_ASSIGN(cfg.n_kv_heads, positive_int(f, p + "attention.head_count_kv"));
    }
    if (cfg.dim % cfg.n_heads != 0)
        return err(f.path(), ": embedding_length ", cfg.dim, " is not a multiple of head_count ", cfg.n_heads);
    if (cfg.n_heads % cfg.n_kv_heads != 0)
        return err(f.path(), ": head_count ", cfg.n_heads, " is not a multiple of head_count_kv ", cfg.n_kv_heads);
    const char* eps_key = cfg.arch == Architecture::Llama ? "attention.layer_norm_rms_epsilon"
                                                          : "attention.layer_norm_epsilon";
    KVS_ASSIGN(const double eps, f.get_float_or(p + eps_key, 1e-5));
    cfg.norm_eps = float(eps);
    if (cfg.arch == Architecture::Llama) {
        KVS_ASSIGN(const double theta, f.get_float_or(p + "rope.freq_base", 10000.0));
        cfg.rope_theta = float(theta);
        KVS_ASSIGN(const std::int64_t rope_dim, f.get_int_or(p + "rope.dimension_count", 0));
        if (rope_dim < 0 || rope_dim > cfg.head_dim() || rope_dim % 2 != 0)
            return err(f.path(), ": key '", p, "rope.dimension_count' is ", rope_dim,
                       ", expected an even number up to the head dimension ", cfg.head_dim());
        cfg.rope_dim = rope_dim == cfg.head_dim() ? 0 : int(rope_dim);
        cfg.rope_style = RopeStyle::AdjacentPairs;  // GGUF stores Q/K permuted for ggml's "norm" RoPE
    } else {
        cfg.qkv_bias = true;
    }
    const GgufTensorInfo* embd = f.find_tensor("token_embd.weight");
    if (embd == nullptr) return err(f.path(), ": missing tensor 'token_embd.weight'");
    if (embd->dims.size() != 2 || embd->dims[0] != cfg.dim || embd->dims[1] <= 0 ||
        embd->dims[1] > std::numeric_limits<int>::max())
        return err(f.path(), ": tensor 'token_embd.weight' has shape ", embd->shape_text(), ", expected [", cfg.dim,
                   ", vocab_size] (ggml order)");
    cfg.vocab_size = int(embd->dims[1]);
    cfg.tied_classifier = f.find_tensor("output.weight") == nullptr;
    return cfg;
}

Result<std::shared_ptr<Model>> load_gguf_model(const std::string& path) {
    KVS_ASSIGN(const GgufFile f, GgufFile::open(path));
    auto model = std::make_shared<Model>();
    KVS_ASSIGN(model->config, read_gguf_config(f));
    ModelConfig& cfg = model->config;
    std::vector<std::string> names;
    names.reserve(f.tensors().size());
    for (const GgufTensorInfo& t : f.tensors()) names.push_back(t.name);
    const std::string block_count_key = (cfg.arch == Architecture::Llama ? "llama" : "gpt2") + std::string(".block_count");
    KVS_TRY(check_layer_count(cfg.n_layers, count_layers_with_tensors(names, "blk."), path, "'" + block_count_key + "'",
                              "blk."));
    KVS_TRY(check_weights_fit(cfg, path));
    ModelWeights& w = model->weights;
    const GgufTensorSource src(f);
    const int d = cfg.dim;

    KVS_ASSIGN(w.token_embedding, src.matrix("token_embd.weight", cfg.vocab_size, d, "the token embedding [vocab, dim]"));
    w.layers.resize(std::size_t(cfg.n_layers));
    if (cfg.arch == Architecture::Llama) {
        KVS_TRY(load_llama_layers(src, cfg, w));
        KVS_ASSIGN(w.final_norm, src.vector("output_norm.weight", d, "the final RMSNorm [dim]"));
    } else {
        KVS_ASSIGN(w.position_embedding,
                   src.matrix("position_embd.weight", cfg.max_seq_len, d, "the position embedding [context, dim]"));
        KVS_TRY(load_gpt2_layers(src, cfg, w));
        KVS_ASSIGN(w.final_norm, src.vector("output_norm.weight", d, "ln_f weight [dim]"));
        KVS_ASSIGN(w.final_norm_bias, src.vector("output_norm.bias", d, "ln_f bias [dim]"));
    }
    if (!cfg.tied_classifier) {
        KVS_ASSIGN(w.classifier, src.matrix("output.weight", cfg.vocab_size, d, "the classifier [vocab, dim]"));
    }
    w.source_dtype = dominant_matrix_type(f);

    KVS_ASSIGN(auto tokenizer, load_gguf_tokenizer(f));
    if (tokenizer->vocab_size() != cfg.vocab_size)
        return err(path, ": the tokenizer has ", tokenizer->vocab_size(), " tokens but 'token_embd.weight' has ",
                   cfg.vocab_size, " rows");
    if (tokenizer->eos_id >= 0) model->stop_tokens.push_back(tokenizer->eos_id);
    else if (tokenizer->bos_id >= 0) model->stop_tokens.push_back(tokenizer->bos_id);
    model->tokenizer = std::shared_ptr<const Tokenizer>(std::move(tokenizer));
    model->source = path;
    model->format = "gguf";
    return model;
}

}  // namespace kvs
