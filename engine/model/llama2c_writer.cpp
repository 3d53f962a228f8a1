#include "model/llama2c_writer.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>

#include "model/sentencepiece_bpe.h"
#include "model/synthetic_tokenizer.h"

namespace kvs {

namespace {

class BinaryFile {
public:
    explicit BinaryFile(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {}
    bool opened() const { return bool(out_); }
    void raw(const void* p, std::size_t n) { out_.write(static_cast<const char*>(p), std::streamsize(n)); }
    void i32(std::int32_t v) { raw(&v, 4); }
    void f32(float v) { raw(&v, 4); }
    // A tensor's values as F32, row by row (decoded when stored in another type).
    void tensor(const Tensor& t) {
        std::vector<float> row(std::size_t(t.cols));
        for (int r = 0; r < t.rows; ++r) {
            t.row_to_f32(r, row.data());
            raw(row.data(), row.size() * 4);
        }
    }
    Status close() {
        out_.close();
        if (!out_) return err("could not write '", path_, "'");
        return {};
    }

private:
    std::string path_;
    std::ofstream out_;
};

Status check_run_c_conventions(const Model& m) {
    const ModelConfig& c = m.config;
    const auto refuse = [&](const std::string& why) {
        return err("'", c.name, "' cannot be written as a llama2.c checkpoint: ", why);
    };
    if (c.arch != Architecture::Llama) return refuse("run.c computes Llama models only");
    if (c.rope_style != RopeStyle::AdjacentPairs || c.rotary_dim() != c.head_dim())
        return refuse("run.c rotates adjacent pairs over the whole head");
    if (std::fabs(c.rope_theta - 10000.0f) > 0.0f) return refuse("run.c's RoPE base is 10000");
    if (std::fabs(c.norm_eps - 1e-5f) > 0.0f) return refuse("run.c's RMSNorm epsilon is 1e-5");
    if (c.qkv_bias) return refuse("run.c has no biases");
    return {};
}

}  // namespace

Result<SentencePieceVocab> sentencepiece_vocab_of(const Model& model) {
    if (const auto* spm = dynamic_cast<const SentencePieceBpe*>(model.tokenizer.get())) return spm->vocab();
    if (dynamic_cast<const SyntheticByteTokenizer*>(model.tokenizer.get()) != nullptr) {
        SentencePieceVocab v;
        v.spaces_are_marked = false;
        v.add_dummy_prefix = false;
        v.add_bos = false;
        const int n = model.tokenizer->vocab_size();
        for (int id = 0; id < n; ++id) {
            char piece[16];
            if (id == 0) std::snprintf(piece, sizeof piece, "<unk>");
            else if (id == 1) std::snprintf(piece, sizeof piece, "<s>");
            else if (id == 2) std::snprintf(piece, sizeof piece, "</s>");
            else if (id < SyntheticByteTokenizer::kMinVocab) std::snprintf(piece, sizeof piece, "<0x%02X>", id - 3);
            else std::snprintf(piece, sizeof piece, "<%d>", id);
            v.pieces.emplace_back(piece);
            v.scores.push_back(0.0f);
            v.types.push_back(id == 0 ? 2 : id < 3 ? 3 : id < SyntheticByteTokenizer::kMinVocab ? 6 : 1);
        }
        return v;
    }
    return err("'", model.config.name, "' has neither a SentencePiece nor a synthetic byte tokenizer");
}

Status write_llama2c_checkpoint(const Model& model, const std::string& path) {
    KVS_TRY(check_run_c_conventions(model));
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    BinaryFile f(path);
    if (!f.opened()) return err("could not create '", path, "'");
    // run.c's header; a negative vocab_size says the classifier is stored separately.
    for (const int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                        w.classifier.empty() ? c.vocab_size : -c.vocab_size, c.max_seq_len})
        f.i32(v);
    f.tensor(w.token_embedding);
    // Each kind of weight for all layers before the next kind, in run.c's order.
    for (const auto member : {&LayerWeights::attn_norm, &LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv,
                              &LayerWeights::wo, &LayerWeights::ffn_norm, &LayerWeights::w_gate, &LayerWeights::w_down,
                              &LayerWeights::w_up})
        for (const LayerWeights& l : w.layers) f.tensor(l.*member);
    f.tensor(w.final_norm);
    // The legacy freq_cis_real and freq_cis_imag tables (run.c skips them; it computes RoPE).
    const std::vector<float> unused(std::size_t(c.max_seq_len) * std::size_t(c.head_dim() / 2), 0.0f);
    f.raw(unused.data(), unused.size() * 4);
    f.raw(unused.data(), unused.size() * 4);
    if (!w.classifier.empty()) f.tensor(w.classifier);
    return f.close();
}

Status write_llama2c_tokenizer(const Model& model, const std::string& path) {
    KVS_ASSIGN(const SentencePieceVocab v, sentencepiece_vocab_of(model));
    BinaryFile f(path);
    if (!f.opened()) return err("could not create '", path, "'");
    std::size_t longest = 1;
    std::vector<std::string> pieces;
    for (const std::string& p : v.pieces) {
        // llama2.c's tokenizer.bin spells spaces as spaces.
        std::string plain;
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (v.spaces_are_marked && p.compare(i, 3, "\xE2\x96\x81") == 0) plain += ' ', i += 2;
            else plain += p[i];
        }
        longest = std::max(longest, plain.size());
        pieces.push_back(std::move(plain));
    }
    f.i32(std::int32_t(longest));
    for (std::size_t id = 0; id < pieces.size(); ++id) {
        f.f32(id < v.scores.size() ? v.scores[id] : 0.0f);
        f.i32(std::int32_t(pieces[id].size()));
        f.raw(pieces[id].data(), pieces[id].size());
    }
    return f.close();
}

}  // namespace kvs
