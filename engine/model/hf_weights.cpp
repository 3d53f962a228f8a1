#include "model/hf_weights.h"

#include <algorithm>

namespace kvs {

namespace {

Status read_classifier(const HfCheckpoint& ck, ModelConfig& c, ModelWeights& w) {
    // Without lm_head.weight the classifier is the token embedding, whatever the config says.
    if (!ck.has("lm_head.weight")) c.tied_classifier = true;
    if (c.tied_classifier) return {};
    KVS_ASSIGN(w.classifier, ck.matrix("lm_head.weight", c.vocab_size, c.dim, "the classifier [vocab_size, hidden]"));
    return {};
}

Result<ModelWeights> read_gpt2(const HfCheckpoint& ck, ModelConfig& c) {
    // Checkpoints saved from GPT2Model lack the "transformer." prefix of GPT2LMHeadModel.
    const std::string p = ck.has("transformer.wte.weight") ? "transformer." : "";
    const int d = c.dim, h = c.hidden_dim;
    ModelWeights w;
    KVS_ASSIGN(w.token_embedding, ck.matrix(p + "wte.weight", c.vocab_size, d, "wte [vocab_size, n_embd]"));
    KVS_ASSIGN(w.position_embedding, ck.matrix(p + "wpe.weight", c.max_seq_len, d, "wpe [n_positions, n_embd]"));
    w.layers.resize(std::size_t(c.n_layers));
    for (int l = 0; l < c.n_layers; ++l) {
        LayerWeights& L = w.layers[std::size_t(l)];
        const std::string b = p + "h." + std::to_string(l) + ".";
        KVS_ASSIGN(L.attn_norm, ck.vector(b + "ln_1.weight", d, "ln_1 weight [n_embd]"));
        KVS_ASSIGN(L.attn_norm_bias, ck.vector(b + "ln_1.bias", d, "ln_1 bias [n_embd]"));
        // c_attn stacks Q, K and V: Conv1D [n_embd, 3 * n_embd] -> [3 * dim, dim].
        KVS_ASSIGN(const Tensor qkv, ck.conv1d(b + "attn.c_attn.weight", d, 3 * d, "c_attn Conv1D [n_embd, 3 * n_embd]"));
        KVS_ASSIGN(const Tensor qkv_bias, ck.vector(b + "attn.c_attn.bias", 3 * d, "c_attn bias [3 * n_embd]"));
        split_fused_qkv(qkv, qkv_bias, d, L);
        KVS_ASSIGN(L.wo, ck.conv1d(b + "attn.c_proj.weight", d, d, "attn.c_proj Conv1D [n_embd, n_embd]"));
        KVS_ASSIGN(L.bo, ck.vector(b + "attn.c_proj.bias", d, "attn.c_proj bias [n_embd]"));
        KVS_ASSIGN(L.ffn_norm, ck.vector(b + "ln_2.weight", d, "ln_2 weight [n_embd]"));
        KVS_ASSIGN(L.ffn_norm_bias, ck.vector(b + "ln_2.bias", d, "ln_2 bias [n_embd]"));
        KVS_ASSIGN(L.w_up, ck.conv1d(b + "mlp.c_fc.weight", d, h, "mlp.c_fc Conv1D [n_embd, n_inner]"));
        KVS_ASSIGN(L.b_up, ck.vector(b + "mlp.c_fc.bias", h, "mlp.c_fc bias [n_inner]"));
        KVS_ASSIGN(L.w_down, ck.conv1d(b + "mlp.c_proj.weight", h, d, "mlp.c_proj Conv1D [n_inner, n_embd]"));
        KVS_ASSIGN(L.b_down, ck.vector(b + "mlp.c_proj.bias", d, "mlp.c_proj bias [n_embd]"));
        // attn.bias / attn.masked_bias are causal-mask buffers, not weights: never read.
    }
    KVS_ASSIGN(w.final_norm, ck.vector(p + "ln_f.weight", d, "ln_f weight [n_embd]"));
    KVS_ASSIGN(w.final_norm_bias, ck.vector(p + "ln_f.bias", d, "ln_f bias [n_embd]"));
    KVS_TRY(read_classifier(ck, c, w));
    return w;
}

Result<ModelWeights> read_llama(const HfCheckpoint& ck, ModelConfig& c) {
    const int d = c.dim, kv = c.kv_dim(), h = c.hidden_dim;
    ModelWeights w;
    KVS_ASSIGN(w.token_embedding, ck.matrix("model.embed_tokens.weight", c.vocab_size, d, "the token embedding [vocab_size, hidden_size]"));
    w.layers.resize(std::size_t(c.n_layers));
    for (int l = 0; l < c.n_layers; ++l) {
        LayerWeights& L = w.layers[std::size_t(l)];
        const std::string b = "model.layers." + std::to_string(l) + ".";
        KVS_ASSIGN(L.attn_norm, ck.vector(b + "input_layernorm.weight", d, "the attention RMSNorm [hidden_size]"));
        KVS_ASSIGN(L.wq, ck.matrix(b + "self_attn.q_proj.weight", d, d, "q_proj [hidden_size, hidden_size]"));
        KVS_ASSIGN(L.wk, ck.matrix(b + "self_attn.k_proj.weight", kv, d, "k_proj [kv_heads * head_dim, hidden_size]"));
        KVS_ASSIGN(L.wv, ck.matrix(b + "self_attn.v_proj.weight", kv, d, "v_proj [kv_heads * head_dim, hidden_size]"));
        if (c.qkv_bias) {
            KVS_ASSIGN(L.bq, ck.vector(b + "self_attn.q_proj.bias", d, "q_proj bias [hidden_size]"));
            KVS_ASSIGN(L.bk, ck.vector(b + "self_attn.k_proj.bias", kv, "k_proj bias [kv_heads * head_dim]"));
            KVS_ASSIGN(L.bv, ck.vector(b + "self_attn.v_proj.bias", kv, "v_proj bias [kv_heads * head_dim]"));
        }
        KVS_ASSIGN(L.wo, ck.matrix(b + "self_attn.o_proj.weight", d, d, "o_proj [hidden_size, hidden_size]"));
        KVS_ASSIGN(L.ffn_norm, ck.vector(b + "post_attention_layernorm.weight", d, "the FFN RMSNorm [hidden_size]"));
        KVS_ASSIGN(L.w_gate, ck.matrix(b + "mlp.gate_proj.weight", h, d, "gate_proj [intermediate_size, hidden_size]"));
        KVS_ASSIGN(L.w_up, ck.matrix(b + "mlp.up_proj.weight", h, d, "up_proj [intermediate_size, hidden_size]"));
        KVS_ASSIGN(L.w_down, ck.matrix(b + "mlp.down_proj.weight", d, h, "down_proj [hidden_size, intermediate_size]"));
    }
    KVS_ASSIGN(w.final_norm, ck.vector("model.norm.weight", d, "the final RMSNorm [hidden_size]"));
    KVS_TRY(read_classifier(ck, c, w));
    return w;
}

}  // namespace

Result<ModelWeights> read_hf_weights(const HfCheckpoint& checkpoint, ModelConfig& config) {
    KVS_ASSIGN(ModelWeights w, config.arch == Architecture::Gpt2 ? read_gpt2(checkpoint, config)
                                                                 : read_llama(checkpoint, config));
    w.source_dtype = checkpoint.dominant_dtype();
    return w;
}

}  // namespace kvs
