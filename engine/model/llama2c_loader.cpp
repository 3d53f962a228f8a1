#include "model/llama2c_loader.h"
#include "model/llama2c_files.h"

#include <cstring>
#include <filesystem>

#include "core/read_only_mapping.h"
#include "model/model_limits.h"
#include "model/sentencepiece_model.h"

namespace kvs {
namespace {

constexpr int kHeaderInts = 7;
constexpr std::int64_t kMaxDim = 1 << 16;  // no real model comes near; guards against garbage headers

// Reads float32 tensors one after another from a mapped checkpoint: matrices are used in place
// (the header is 28 bytes, so every float is 4-byte aligned), vectors are copied.
class TensorCursor {
public:
    TensorCursor(std::shared_ptr<const ReadOnlyMapping> file, std::size_t offset)
        : file_(std::move(file)), bytes_(file_->bytes()), offset_(offset) {}
    Tensor next(int rows, int cols) {
        const std::uint8_t* at = bytes_.data() + offset_;
        offset_ += std::size_t(rows) * std::size_t(cols) * 4;
        if (rows > 1) return Tensor::in_place(WeightType::F32, at, rows, cols, file_);
        Tensor t = Tensor::matrix(rows, cols);
        std::memcpy(t.data.data(), at, std::size_t(t.size()) * 4);
        return t;
    }
    void skip(std::int64_t floats) { offset_ += std::size_t(floats) * 4; }
    std::size_t offset() const { return offset_; }

private:
    std::shared_ptr<const ReadOnlyMapping> file_;
    std::span<const std::uint8_t> bytes_;
    std::size_t offset_;
};

Result<ModelConfig> parse_header(const std::string& path, std::span<const std::uint8_t> bytes, bool& shared_classifier) {
    if (bytes.size() < kHeaderInts * 4)
        return err("'", path, "' is too short for a llama2.c checkpoint: ", bytes.size(), " bytes, the header alone needs ",
                   kHeaderInts * 4);
    std::int32_t h[kHeaderInts];
    std::memcpy(h, bytes.data(), sizeof h);
    const char* names[kHeaderInts] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
    for (int i = 0; i < kHeaderInts; ++i) {
        const std::int64_t v = i == 5 ? std::abs(std::int64_t(h[i])) : h[i];
        const std::int64_t limit = i == 5 ? (1 << 22) : kMaxDim;
        if (v <= 0 || v > limit)
            return err("'", path, "' is not a llama2.c checkpoint: header field ", names[i], " = ", h[i],
                       " (expected 1..", limit, ")");
    }
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.dim = h[0];
    c.hidden_dim = h[1];
    c.n_layers = h[2];
    c.n_heads = h[3];
    c.n_kv_heads = h[4];
    c.vocab_size = std::abs(h[5]);
    c.max_seq_len = h[6];
    shared_classifier = h[5] > 0;
    c.tied_classifier = shared_classifier;
    c.norm_eps = 1e-5f;
    c.rope_theta = 10000.0f;
    c.rope_style = RopeStyle::AdjacentPairs;
    if (c.dim % c.n_heads != 0)
        return err("'", path, "': dim ", c.dim, " is not a multiple of n_heads ", c.n_heads);
    if (c.n_heads % c.n_kv_heads != 0)
        return err("'", path, "': n_heads ", c.n_heads, " is not a multiple of n_kv_heads ", c.n_kv_heads);
    if (c.head_dim() % 2 != 0) return err("'", path, "': head size ", c.head_dim(), " is odd, RoPE needs pairs");
    return c;
}

// Floats the checkpoint must hold after the header, in run.c's order.
std::int64_t expected_floats(const ModelConfig& c, bool shared_classifier) {
    const std::int64_t d = c.dim, h = c.hidden_dim, L = c.n_layers, kv = c.kv_dim(), hs = c.head_dim();
    std::int64_t n = std::int64_t(c.vocab_size) * d  // token embedding
                     + L * d                          // rms_att
                     + L * d * d + 2 * L * kv * d     // wq, wk, wv
                     + L * d * d                      // wo
                     + L * d                          // rms_ffn
                     + 3 * L * h * d                  // w1, w2, w3
                     + d                              // rms_final
                     + std::int64_t(c.max_seq_len) * hs;  // legacy freq_cis_real + imag (seq_len * hs/2 each)
    if (!shared_classifier) n += std::int64_t(c.vocab_size) * d;
    return n;
}

}  // namespace

Result<std::shared_ptr<Model>> load_llama2c_model(const std::string& path, const std::string& tokenizer_path) {
    KVS_ASSIGN(ReadOnlyMapping file, ReadOnlyMapping::open(path));
    bool shared = true;
    KVS_ASSIGN(ModelConfig cfg, parse_header(path, file.bytes(), shared));
    const std::int64_t need = kHeaderInts * 4 + expected_floats(cfg, shared) * 4;
    if (std::int64_t(file.size()) < need)
        return err("'", path, "' is truncated: a llama2.c checkpoint with this header (dim ", cfg.dim, ", ", cfg.n_layers,
                   " layers, vocab ", cfg.vocab_size, ") needs ", need, " bytes, the file has ", file.size());
    KVS_TRY(check_weights_fit(cfg, "'" + path + "'"));

    const std::string tok_path = tokenizer_path.empty() ? llama2c_tokenizer_beside(path) : tokenizer_path;
    if (tok_path.empty())
        return err("no tokenizer for '", path, "': llama2.c checkpoints carry none and none lies beside it ",
                   "(tokenizer.bin or tok*.bin); pass --tokenizer FILE");

    auto model = std::make_shared<Model>();
    cfg.name = std::filesystem::path(path).stem().string();
    model->config = cfg;
    model->format = "llama2c";
    model->source = path;
    ModelWeights& w = model->weights;
    const int d = cfg.dim, h = cfg.hidden_dim, kv = cfg.kv_dim();
    TensorCursor cur(std::make_shared<const ReadOnlyMapping>(std::move(file)), kHeaderInts * 4);
    w.token_embedding = cur.next(cfg.vocab_size, d);
    w.layers.resize(cfg.n_layers);
    // run.c stores each weight kind for all layers before the next kind.
    for (auto& l : w.layers) l.attn_norm = cur.next(1, d);
    for (auto& l : w.layers) l.wq = cur.next(d, d);
    for (auto& l : w.layers) l.wk = cur.next(kv, d);
    for (auto& l : w.layers) l.wv = cur.next(kv, d);
    for (auto& l : w.layers) l.wo = cur.next(d, d);
    for (auto& l : w.layers) l.ffn_norm = cur.next(1, d);
    for (auto& l : w.layers) l.w_gate = cur.next(h, d);  // w1
    for (auto& l : w.layers) l.w_down = cur.next(d, h);  // w2
    for (auto& l : w.layers) l.w_up = cur.next(h, d);    // w3
    w.final_norm = cur.next(1, d);
    cur.skip(std::int64_t(cfg.max_seq_len) * cfg.head_dim());  // freq_cis_real, freq_cis_imag
    if (!shared) w.classifier = cur.next(cfg.vocab_size, d);

    KVS_ASSIGN(auto tokenizer, load_llama2c_tokenizer(tok_path, cfg.vocab_size));
    model->tokenizer = std::move(tokenizer);
    // run.c ends generation when BOS (1) is sampled; EOS (2) ends a story too.
    model->stop_tokens = {1, 2};
    return model;
}

Result<std::unique_ptr<Tokenizer>> load_llama2c_tokenizer(const std::string& path, int vocab_size) {
    if (std::filesystem::path(path).extension() == ".model") {  // a SentencePiece protobuf
        KVS_ASSIGN(auto tok, load_sentencepiece_model(path));
        if (tok->vocab_size() != vocab_size)
            return err("'", path, "' has ", tok->vocab_size(), " pieces, the model ", vocab_size, " tokens");
        return tok;
    }
    KVS_ASSIGN(ReadOnlyMapping file, ReadOnlyMapping::open(path));
    const auto bytes = file.bytes();
    std::size_t off = 0;
    auto read_i32 = [&](std::int32_t& out) {
        if (off + 4 > bytes.size()) return false;
        std::memcpy(&out, bytes.data() + off, 4);
        off += 4;
        return true;
    };
    std::int32_t max_len = 0;
    if (!read_i32(max_len) || max_len <= 0 || max_len > 4096)
        return err("'", path, "' is not a llama2.c tokenizer.bin: bad max_token_length ", max_len);
    SentencePieceVocab v;
    v.spaces_are_marked = false;
    v.pieces.reserve(vocab_size);
    v.scores.reserve(vocab_size);
    for (int i = 0; i < vocab_size; ++i) {
        std::int32_t score_bits = 0, len = 0;
        if (!read_i32(score_bits) || !read_i32(len))
            return err("'", path, "' is truncated at token ", i, " of ", vocab_size, " (byte offset ", off, ")");
        if (len < 0 || len > max_len || off + std::size_t(len) > bytes.size())
            return err("'", path, "': token ", i, " has length ", len, " at byte offset ", off - 4,
                       " (max_token_length ", max_len, ", file size ", bytes.size(), ")");
        float score;
        std::memcpy(&score, &score_bits, 4);
        v.scores.push_back(score);
        v.pieces.emplace_back(reinterpret_cast<const char*>(bytes.data() + off), std::size_t(len));
        off += std::size_t(len);
    }
    if (off != bytes.size())
        return err("'", path, "' holds more than ", vocab_size, " tokens (", bytes.size() - off,
                   " bytes left): does it belong to this model?");
    return make_sentencepiece_bpe(std::move(v));
}

}  // namespace kvs
