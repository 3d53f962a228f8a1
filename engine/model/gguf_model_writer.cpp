#include "model/gguf_model_writer.h"

#include "model/gguf_writer.h"
#include "model/byte_level_bpe.h"
#include "model/llama2c_writer.h"
#include "model/weight_type.h"
#include "model/sentencepiece_bpe.h"

namespace kvs {

namespace {

class TensorEmitter {
public:
    TensorEmitter(GgufWriter& w, GgmlType matrix_type) : w_(w), matrix_type_(matrix_type) {}

    // A [rows, cols] matrix is ggml ne = [cols, rows]; a vector (rows == 1) is ne = [cols].
    void put(const std::string& name, const Tensor& t) {
        if (t.empty()) return;
        if (t.rows == 1) {
            w_.add_tensor(name, {t.cols}, GgmlType::F32, t.to_f32());
            return;
        }
        GgmlType type = matrix_type_;
        if (const auto wt = weight_type_from_ggml(std::uint32_t(type)); wt && !fits_rows(*wt, t.cols))
            type = GgmlType::F16;
        w_.add_tensor(name, {t.cols, t.rows}, type, t.to_f32());
    }

private:
    GgufWriter& w_;
    GgmlType matrix_type_;
};

Tensor stack_rows(const Tensor& a, const Tensor& b, const Tensor& c) {
    const bool vectors = a.rows == 1;  // biases concatenate, matrices stack their rows
    Tensor out{{}, vectors ? 1 : a.rows + b.rows + c.rows, vectors ? a.cols + b.cols + c.cols : a.cols};
    for (const Tensor* t : {&a, &b, &c}) {
        const std::vector<float> v = t->to_f32();
        out.data.insert(out.data.end(), v.begin(), v.end());
    }
    return out;
}

std::string blk(int layer, const char* name) { return "blk." + std::to_string(layer) + "." + name; }

Status add_sentencepiece_vocab(GgufWriter& w, const Model& model) {
    KVS_ASSIGN(const SentencePieceVocab v, sentencepiece_vocab_of(model));
    std::vector<std::string> pieces;
    std::vector<std::int32_t> types = v.types;
    for (std::size_t id = 0; id < v.pieces.size(); ++id) {
        std::string p;
        for (char c : v.pieces[id]) p += (c == ' ' && !v.spaces_are_marked) ? std::string("\xE2\x96\x81") : std::string(1, c);
        pieces.push_back(p);
    }
    if (types.empty()) {  // llama2.c vocabularies carry no types: derive llama.cpp's
        for (std::size_t id = 0; id < pieces.size(); ++id) {
            const std::string& p = v.pieces[id];
            const bool byte = p.size() == 6 && p.rfind("<0x", 0) == 0 && p.back() == '>';
            types.push_back(int(id) == v.unk_id ? 2 : (int(id) == v.bos_id || int(id) == v.eos_id) ? 3 : byte ? 6 : 1);
        }
    }
    w.add_string("tokenizer.ggml.model", "llama");
    w.add_string_array("tokenizer.ggml.tokens", pieces);
    w.add_f32_array("tokenizer.ggml.scores", v.scores);
    w.add_i32_array("tokenizer.ggml.token_type", types);
    w.add_u32("tokenizer.ggml.bos_token_id", std::uint32_t(v.bos_id));
    w.add_u32("tokenizer.ggml.eos_token_id", std::uint32_t(v.eos_id));
    w.add_u32("tokenizer.ggml.unknown_token_id", std::uint32_t(v.unk_id));
    w.add_bool("tokenizer.ggml.add_bos_token", v.add_bos);
    w.add_bool("tokenizer.ggml.add_space_prefix", v.add_dummy_prefix);
    return {};
}

Status add_byte_level_vocab(GgufWriter& w, const Model& model) {
    const auto* bpe = dynamic_cast<const ByteLevelBpe*>(model.tokenizer.get());
    if (bpe == nullptr) return err("a gpt2 model needs a byte-level BPE tokenizer to be written as GGUF");
    const ByteLevelVocab& v = bpe->vocab();
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_string_array("tokenizer.ggml.tokens", v.tokens);
    w.add_string_array("tokenizer.ggml.merges", v.merges);
    if (!v.types.empty()) w.add_i32_array("tokenizer.ggml.token_type", v.types);
    if (v.bos_id >= 0) w.add_u32("tokenizer.ggml.bos_token_id", std::uint32_t(v.bos_id));
    if (v.eos_id >= 0) w.add_u32("tokenizer.ggml.eos_token_id", std::uint32_t(v.eos_id));
    w.add_bool("tokenizer.ggml.add_bos_token", v.add_bos);
    return {};
}

}  // namespace

Status write_model_gguf(const Model& model, const std::string& path, const GgufModelWriteOptions& options) {
    const ModelConfig& c = model.config;
    const ModelWeights& mw = model.weights;
    const bool llama = c.arch == Architecture::Llama;
    const std::string a = llama ? "llama" : "gpt2";
    GgufWriter w;
    for (const std::string& name : options.omit) w.omit(name);
    w.add_string("general.architecture", a);
    w.add_string("general.name", c.name);
    if (options.alignment != 32) w.set_alignment(options.alignment);
    w.add_u32(a + ".context_length", std::uint32_t(c.max_seq_len));
    w.add_u32(a + ".embedding_length", std::uint32_t(c.dim));
    w.add_u32(a + ".block_count", std::uint32_t(c.n_layers));
    w.add_u32(a + ".feed_forward_length", std::uint32_t(c.hidden_dim));
    w.add_u32(a + ".attention.head_count", std::uint32_t(c.n_heads));
    if (llama) {
        w.add_u32(a + ".attention.head_count_kv", std::uint32_t(c.n_kv_heads));
        w.add_f32(a + ".attention.layer_norm_rms_epsilon", c.norm_eps);
        w.add_f32(a + ".rope.freq_base", c.rope_theta);
        w.add_u32(a + ".rope.dimension_count", std::uint32_t(c.rotary_dim()));
        KVS_TRY(add_sentencepiece_vocab(w, model));
    } else {
        w.add_f32(a + ".attention.layer_norm_epsilon", c.norm_eps);
        KVS_TRY(add_byte_level_vocab(w, model));
    }

    TensorEmitter t(w, options.matrix_type);
    t.put("token_embd.weight", mw.token_embedding);
    t.put("position_embd.weight", mw.position_embedding);
    for (int l = 0; l < c.n_layers; ++l) {
        const LayerWeights& L = mw.layers[std::size_t(l)];
        t.put(blk(l, "attn_norm.weight"), L.attn_norm);
        t.put(blk(l, "attn_norm.bias"), L.attn_norm_bias);
        if (llama) {
            t.put(blk(l, "attn_q.weight"), L.wq);
            t.put(blk(l, "attn_k.weight"), L.wk);
            t.put(blk(l, "attn_v.weight"), L.wv);
            t.put(blk(l, "attn_q.bias"), L.bq);
            t.put(blk(l, "attn_k.bias"), L.bk);
            t.put(blk(l, "attn_v.bias"), L.bv);
            t.put(blk(l, "ffn_gate.weight"), L.w_gate);
        } else {
            t.put(blk(l, "attn_qkv.weight"), stack_rows(L.wq, L.wk, L.wv));
            t.put(blk(l, "attn_qkv.bias"), stack_rows(L.bq, L.bk, L.bv));
        }
        t.put(blk(l, "attn_output.weight"), L.wo);
        t.put(blk(l, "attn_output.bias"), L.bo);
        t.put(blk(l, "ffn_norm.weight"), L.ffn_norm);
        t.put(blk(l, "ffn_norm.bias"), L.ffn_norm_bias);
        t.put(blk(l, "ffn_up.weight"), L.w_up);
        t.put(blk(l, "ffn_up.bias"), L.b_up);
        t.put(blk(l, "ffn_down.weight"), L.w_down);
        t.put(blk(l, "ffn_down.bias"), L.b_down);
    }
    t.put("output_norm.weight", mw.final_norm);
    t.put("output_norm.bias", mw.final_norm_bias);
    t.put("output.weight", mw.classifier);  // empty (not written) when tied
    return w.write(path);
}

}  // namespace kvs
