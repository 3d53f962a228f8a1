#include "hf_model_writer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "model/byte_level_bpe.h"
#include "model/sentencepiece_bpe.h"
#include "safetensors_writer.h"

namespace kvs::test {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Tensors in the order they are added, later split into shards.
struct TensorList {
    struct Entry {
        std::string name;
        std::vector<std::int64_t> shape;
        std::vector<float> values;
    };
    std::vector<Entry> entries;

    void linear(const std::string& name, const Tensor& t) { entries.push_back({name, {t.rows, t.cols}, t.to_f32()}); }
    void vec(const std::string& name, const Tensor& t) { entries.push_back({name, {t.cols}, t.to_f32()}); }
    // GPT-2 Conv1D: the [out, in] matrix stored as [in, out].
    void conv1d(const std::string& name, const Tensor& t) {
        const std::vector<float> data = t.to_f32();
        std::vector<float> v(data.size());
        for (int o = 0; o < t.rows; ++o)
            for (int i = 0; i < t.cols; ++i)
                v[std::size_t(i) * std::size_t(t.rows) + std::size_t(o)] = data[std::size_t(o) * std::size_t(t.cols) + std::size_t(i)];
        entries.push_back({name, {t.cols, t.rows}, std::move(v)});
    }
};

// Matrices stacked by rows ([a, n] + [b, n] -> [a + b, n]) or vectors concatenated.
Tensor stack_rows(const std::vector<const Tensor*>& parts) {
    Tensor out;
    for (const Tensor* p : parts) {
        const std::vector<float> v = p->to_f32();
        out.data.insert(out.data.end(), v.begin(), v.end());
    }
    const bool vectors = parts.front()->rows == 1;
    out.cols = vectors ? int(out.data.size()) : parts.front()->cols;
    out.rows = vectors ? 1 : int(out.data.size()) / out.cols;
    return out;
}

Tensor as_vector(const Tensor& column) { return Tensor{column.to_f32(), 1, int(column.size())}; }

Status write_weights(const TensorList& list, const fs::path& dir, const HfWriteOptions& o) {
    std::vector<const TensorList::Entry*> kept;
    for (const auto& e : list.entries)
        if (std::find(o.omit_tensors.begin(), o.omit_tensors.end(), e.name) == o.omit_tensors.end()) kept.push_back(&e);
    const int shards = std::max(1, o.shards);
    json weight_map = json::object();
    for (int s = 0; s < shards; ++s) {
        SafetensorsBuilder b;
        char name[64];
        std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
        const std::string file = shards == 1 ? "model.safetensors" : name;
        // Contiguous runs of tensors per shard, as transformers' size-based sharding gives.
        const std::size_t first = kept.size() * std::size_t(s) / std::size_t(shards);
        const std::size_t last = kept.size() * std::size_t(s + 1) / std::size_t(shards);
        for (std::size_t i = first; i < last; ++i) {
            b.add(kept[i]->name, kept[i]->shape, kept[i]->values, o.dtype);
            weight_map[kept[i]->name] = file;
        }
        KVS_TRY(write_safetensors((dir / file).string(), b.blob()));
    }
    if (shards > 1) {
        std::ofstream f(dir / "model.safetensors.index.json");
        f << json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2);
    }
    return {};
}

Status write_json(const fs::path& path, const json& j) {
    std::ofstream f(path);
    f << j.dump(2);
    return f ? Status{} : Status{err("cannot write '", path.string(), "'")};
}

const char* torch_dtype(const std::string& dtype) {
    return dtype == "F16" ? "float16" : dtype == "BF16" ? "bfloat16" : "float32";
}

// HF Llama tokenizer.json from a SentencePiece vocabulary: pieces with U+2581, special pieces
// as added tokens, and merges ordered by the score of the piece they make (highest first).
json llama_tokenizer_json(const SentencePieceVocab& v) {
    const std::string mark = "\xE2\x96\x81";
    std::vector<std::string> pieces;
    for (std::size_t id = 0; id < v.pieces.size(); ++id) {
        std::string p = v.pieces[id];
        if (int(id) == v.bos_id) p = "<s>";
        else if (int(id) == v.eos_id) p = "</s>";
        else if (int(id) == v.unk_id) p = "<unk>";
        else if (!v.spaces_are_marked)
            for (std::size_t at; (at = p.find(' ')) != std::string::npos;) p.replace(at, 1, mark);
        pieces.push_back(p);
    }
    std::map<std::string, int> id_of;
    json vocab = json::object();
    for (std::size_t id = 0; id < pieces.size(); ++id) {
        id_of.emplace(pieces[id], int(id));
        vocab[pieces[id]] = id;
    }
    struct Merge {
        float score;
        int left, right;
        std::string text;
    };
    std::vector<Merge> merges;
    for (std::size_t id = 0; id < pieces.size(); ++id) {
        const std::string& p = pieces[id];
        if (int(id) == v.bos_id || int(id) == v.eos_id || int(id) == v.unk_id || p.rfind("<0x", 0) == 0) continue;
        for (std::size_t cut = 1; cut < p.size(); ++cut) {
            if ((static_cast<unsigned char>(p[cut]) & 0xC0) == 0x80) continue;  // inside a UTF-8 character
            const auto l = id_of.find(p.substr(0, cut)), r = id_of.find(p.substr(cut));
            if (l != id_of.end() && r != id_of.end())
                merges.push_back({v.scores[id], l->second, r->second, l->first + " " + r->first});
        }
    }
    std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
        if (a.score != b.score) return a.score > b.score;
        return std::pair(a.left, a.right) < std::pair(b.left, b.right);
    });
    json merge_list = json::array();
    for (const Merge& m : merges) merge_list.push_back(m.text);
    const auto added = [](int id, const std::string& content) {
        return json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
                    {"rstrip", false}, {"normalized", false}, {"special", true}};
    };
    return json{
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", {added(v.unk_id, "<unk>"), added(v.bos_id, "<s>"), added(v.eos_id, "</s>")}},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers",
           {{{"type", "Prepend"}, {"prepend", mark}},
            {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", mark}}}}}},
        {"pre_tokenizer", nullptr},
        {"post_processor",
         {{"type", "TemplateProcessing"},
          {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
          {"pair", json::array()},
          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {v.bos_id}}, {"tokens", {"<s>"}}}}}}}},
        {"decoder",
         {{"type", "Sequence"},
          {"decoders",
           {{{"type", "Replace"}, {"pattern", {{"String", mark}}}, {"content", " "}},
            {{"type", "ByteFallback"}},
            {{"type", "Fuse"}},
            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
        {"model",
         {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", true}, {"vocab", vocab},
          {"merges", merge_list}}}};
}

}  // namespace

Tensor permute_for_half_rotation(const Tensor& w, int n_heads) {
    const int head_dim = w.rows / n_heads, half = head_dim / 2;
    const std::vector<float> values = w.to_f32();
    Tensor out = Tensor::matrix(w.rows, w.cols);
    for (int h = 0; h < n_heads; ++h)
        for (int i = 0; i < half; ++i)
            for (int j = 0; j < 2; ++j) {
                // Pair i of the head, element j: adjacent row 2i + j moves to row j * half + i.
                const float* src = values.data() + std::size_t(h * head_dim + 2 * i + j) * std::size_t(w.cols);
                float* dst = out.data.data() + std::size_t(h * head_dim + j * half + i) * std::size_t(w.cols);
                std::copy_n(src, w.cols, dst);
            }
    return out;
}

Status write_hf_llama(const Model& model, const std::string& dir_text, const HfWriteOptions& o) {
    const ModelConfig& c = model.config;
    if (c.rope_style != RopeStyle::AdjacentPairs) return err("write_hf_llama expects an adjacent-pair RoPE model");
    const auto* sp = dynamic_cast<const SentencePieceBpe*>(model.tokenizer.get());
    if (sp == nullptr) return err("write_hf_llama needs a SentencePiece tokenizer");
    const fs::path dir(dir_text);
    fs::create_directories(dir);
    const ModelWeights& w = model.weights;
    TensorList t;
    t.linear("model.embed_tokens.weight", w.token_embedding);
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
        const LayerWeights& L = w.layers[l];
        const std::string b = "model.layers." + std::to_string(l) + ".";
        t.vec(b + "input_layernorm.weight", L.attn_norm);
        t.linear(b + "self_attn.q_proj.weight", permute_for_half_rotation(L.wq, c.n_heads));
        t.linear(b + "self_attn.k_proj.weight", permute_for_half_rotation(L.wk, c.n_kv_heads));
        t.linear(b + "self_attn.v_proj.weight", L.wv);
        if (c.qkv_bias) {
            // A bias is a one-column matrix for the row permutation.
            const auto column = [](const Tensor& v) { return Tensor{v.to_f32(), v.cols, 1}; };
            t.vec(b + "self_attn.q_proj.bias", as_vector(permute_for_half_rotation(column(L.bq), c.n_heads)));
            t.vec(b + "self_attn.k_proj.bias", as_vector(permute_for_half_rotation(column(L.bk), c.n_kv_heads)));
            t.vec(b + "self_attn.v_proj.bias", L.bv);
        }
        t.linear(b + "self_attn.o_proj.weight", L.wo);
        t.vec(b + "post_attention_layernorm.weight", L.ffn_norm);
        t.linear(b + "mlp.gate_proj.weight", L.w_gate);
        t.linear(b + "mlp.up_proj.weight", L.w_up);
        t.linear(b + "mlp.down_proj.weight", L.w_down);
    }
    t.vec("model.norm.weight", w.final_norm);
    if (!c.tied_classifier) t.linear("lm_head.weight", w.classifier);
    KVS_TRY(write_weights(t, dir, o));
    const SentencePieceVocab& v = sp->vocab();
    json config = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", o.model_type}, {"hidden_size", c.dim},
                   {"intermediate_size", c.hidden_dim}, {"num_hidden_layers", c.n_layers},
                   {"num_attention_heads", c.n_heads}, {"num_key_value_heads", c.n_kv_heads},
                   {"vocab_size", c.vocab_size}, {"max_position_embeddings", c.max_seq_len},
                   {"rms_norm_eps", c.norm_eps}, {"rope_theta", c.rope_theta}, {"rope_scaling", nullptr},
                   {"hidden_act", "silu"}, {"tie_word_embeddings", c.tied_classifier},
                   {"bos_token_id", v.bos_id}, {"eos_token_id", v.eos_id}, {"torch_dtype", torch_dtype(o.dtype)}};
    if (o.sliding_window > 0) config["sliding_window"] = o.sliding_window;
    KVS_TRY(write_json(dir / "config.json", config));
    return write_json(dir / "tokenizer.json", llama_tokenizer_json(v));
}

Status write_hf_gpt2(const Model& model, const std::string& dir_text, const HfWriteOptions& o) {
    const ModelConfig& c = model.config;
    const auto* bl = dynamic_cast<const ByteLevelBpe*>(model.tokenizer.get());
    if (bl == nullptr) return err("write_hf_gpt2 needs a byte-level BPE tokenizer");
    const fs::path dir(dir_text);
    fs::create_directories(dir);
    const ModelWeights& w = model.weights;
    const std::string p = o.transformer_prefix ? "transformer." : "";
    TensorList t;
    t.linear(p + "wte.weight", w.token_embedding);
    t.linear(p + "wpe.weight", w.position_embedding);
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
        const LayerWeights& L = w.layers[l];
        const std::string b = p + "h." + std::to_string(l) + ".";
        t.vec(b + "ln_1.weight", L.attn_norm);
        t.vec(b + "ln_1.bias", L.attn_norm_bias);
        if (o.mask_buffers) {
            const int n = c.max_seq_len;
            std::vector<float> mask(std::size_t(n) * std::size_t(n), 0.0f);
            for (int i = 0; i < n; ++i)
                for (int j = 0; j <= i; ++j) mask[std::size_t(i) * std::size_t(n) + std::size_t(j)] = 1.0f;
            t.entries.push_back({b + "attn.bias", {1, 1, n, n}, std::move(mask)});
            t.entries.push_back({b + "attn.masked_bias", {}, {-1e4f}});
        }
        t.conv1d(b + "attn.c_attn.weight", stack_rows({&L.wq, &L.wk, &L.wv}));
        t.vec(b + "attn.c_attn.bias", stack_rows({&L.bq, &L.bk, &L.bv}));
        t.conv1d(b + "attn.c_proj.weight", L.wo);
        t.vec(b + "attn.c_proj.bias", L.bo);
        t.vec(b + "ln_2.weight", L.ffn_norm);
        t.vec(b + "ln_2.bias", L.ffn_norm_bias);
        t.conv1d(b + "mlp.c_fc.weight", L.w_up);
        t.vec(b + "mlp.c_fc.bias", L.b_up);
        t.conv1d(b + "mlp.c_proj.weight", L.w_down);
        t.vec(b + "mlp.c_proj.bias", L.b_down);
    }
    t.vec(p + "ln_f.weight", w.final_norm);
    t.vec(p + "ln_f.bias", w.final_norm_bias);
    if (o.write_lm_head) t.linear("lm_head.weight", w.classifier_matrix());
    KVS_TRY(write_weights(t, dir, o));
    KVS_TRY(write_json(dir / "config.json",
                       {{"architectures", {"GPT2LMHeadModel"}}, {"model_type", "gpt2"}, {"n_layer", c.n_layers},
                        {"n_head", c.n_heads}, {"n_embd", c.dim}, {"n_positions", c.max_seq_len},
                        {"n_ctx", c.max_seq_len}, {"vocab_size", c.vocab_size}, {"layer_norm_epsilon", c.norm_eps},
                        {"activation_function", "gelu_new"}, {"tie_word_embeddings", o.tie_word_embeddings},
                        {"bos_token_id", bl->bos_id}, {"eos_token_id", bl->eos_id},
                        {"torch_dtype", torch_dtype(o.dtype)}}));
    const ByteLevelVocab& v = bl->vocab();
    json vocab = json::object();
    for (std::size_t id = 0; id < v.tokens.size(); ++id) vocab[v.tokens[id]] = id;
    if (o.tokenizer_json) {
        return write_json(dir / "tokenizer.json",
                          {{"version", "1.0"},
                           {"added_tokens", json::array()},
                           {"normalizer", nullptr},
                           {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}}},
                           {"post_processor", {{"type", "ByteLevel"}, {"trim_offsets", false}}},
                           {"decoder", {{"type", "ByteLevel"}}},
                           {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"vocab", vocab},
                                      {"merges", v.merges}}}});
    }
    KVS_TRY(write_json(dir / "vocab.json", vocab));
    std::ofstream merges(dir / "merges.txt");
    merges << "#version: 0.2\n";
    for (const std::string& m : v.merges) merges << m << "\n";
    return merges ? Status{} : Status{err("cannot write merges.txt in '", dir_text, "'")};
}

}  // namespace kvs::test
