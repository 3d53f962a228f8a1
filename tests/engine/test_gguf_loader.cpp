// The GGUF model loader on synthetic Llama and GPT-2 models written by the test writer:
// configs and every weight come back (exactly from F32, within format precision from F16,
// BF16 and Q8_0), GPT-2's fused QKV is split correctly, the CPU backend gives the same
// logits, and broken models are reported by tensor or key name.
#include <QtTest>

#include <cmath>
#include <random>

#include "core/backend.h"
#include "gguf_model_writer.h"
#include "gguf_writer.h"
#include "model/byte_level_bpe.h"
#include "model/gguf_loader.h"
#include "model/gguf_tensors.h"

using namespace kvs;

namespace {

Tensor random_tensor(std::mt19937& rng, int rows, int cols) {
    std::normal_distribution<float> dist(0.0f, 0.1f);
    Tensor t = rows == 1 ? Tensor::vector(cols) : Tensor::matrix(rows, cols);
    for (float& x : t.data) x = dist(rng);
    return t;
}

std::shared_ptr<Model> synthetic_llama(bool tied) {
    auto m = std::make_shared<Model>();
    ModelConfig& c = m->config;
    c.arch = Architecture::Llama;
    c.name = "synthetic-llama";
    c.dim = 64, c.hidden_dim = 96, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.max_seq_len = 32;
    c.norm_eps = 1e-5f, c.rope_theta = 10000.0f, c.tied_classifier = tied;
    SentencePieceVocab v;
    v.pieces = {"<unk>", "<s>", "</s>"};
    v.types = {2, 3, 3};
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        v.pieces.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
        v.types.push_back(6);
    }
    for (const char* p : {"▁", "e", "h", "l", "o", "w", "r", "d", "▁h", "ll", "▁w", "or", "▁he", "▁hell", "▁hello",
                          "ld", "▁wor", "▁world"}) {
        v.pieces.push_back(p);
        v.types.push_back(1);
    }
    for (std::size_t i = 0; i < v.pieces.size(); ++i) v.scores.push_back(i < 259 ? 0.0f : -float(i));
    c.vocab_size = int(v.pieces.size());
    m->tokenizer = std::move(make_sentencepiece_bpe(std::move(v))).value();
    std::mt19937 rng(7);
    ModelWeights& w = m->weights;
    w.token_embedding = random_tensor(rng, c.vocab_size, c.dim);
    for (int l = 0; l < c.n_layers; ++l) {
        LayerWeights L;
        L.attn_norm = random_tensor(rng, 1, c.dim);
        L.wq = random_tensor(rng, c.dim, c.dim);
        L.wk = random_tensor(rng, c.kv_dim(), c.dim);
        L.wv = random_tensor(rng, c.kv_dim(), c.dim);
        L.wo = random_tensor(rng, c.dim, c.dim);
        L.ffn_norm = random_tensor(rng, 1, c.dim);
        L.w_gate = random_tensor(rng, c.hidden_dim, c.dim);
        L.w_up = random_tensor(rng, c.hidden_dim, c.dim);
        L.w_down = random_tensor(rng, c.dim, c.hidden_dim);
        w.layers.push_back(std::move(L));
    }
    w.final_norm = random_tensor(rng, 1, c.dim);
    if (!tied) w.classifier = random_tensor(rng, c.vocab_size, c.dim);
    m->stop_tokens = {2};
    return m;
}

std::shared_ptr<Model> synthetic_gpt2() {
    auto m = std::make_shared<Model>();
    ModelConfig& c = m->config;
    c.arch = Architecture::Gpt2;
    c.name = "synthetic-gpt2";
    c.dim = 64, c.hidden_dim = 256, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 4, c.max_seq_len = 16;
    c.norm_eps = 1e-5f, c.qkv_bias = true;
    ByteLevelVocab v;
    for (int b = 0; b < 256; ++b) v.tokens.push_back(ByteLevelBpe::byte_char(std::uint8_t(b)));
    v.merges = {"Ġ h", "e l", "Ġh el", "Ġhel l", "Ġhell o"};
    for (const char* t : {"Ġh", "el", "Ġhel", "Ġhell", "Ġhello"}) v.tokens.push_back(t);
    v.tokens.push_back("<|endoftext|>");
    v.types.assign(v.tokens.size(), 1);
    v.types.back() = 3;
    v.bos_id = v.eos_id = int(v.tokens.size()) - 1;
    c.vocab_size = int(v.tokens.size());
    m->tokenizer = std::move(make_byte_level_bpe(std::move(v))).value();
    std::mt19937 rng(11);
    ModelWeights& w = m->weights;
    w.token_embedding = random_tensor(rng, c.vocab_size, c.dim);
    w.position_embedding = random_tensor(rng, c.max_seq_len, c.dim);
    for (int l = 0; l < c.n_layers; ++l) {
        LayerWeights L;
        L.attn_norm = random_tensor(rng, 1, c.dim), L.attn_norm_bias = random_tensor(rng, 1, c.dim);
        L.wq = random_tensor(rng, c.dim, c.dim), L.bq = random_tensor(rng, 1, c.dim);
        L.wk = random_tensor(rng, c.dim, c.dim), L.bk = random_tensor(rng, 1, c.dim);
        L.wv = random_tensor(rng, c.dim, c.dim), L.bv = random_tensor(rng, 1, c.dim);
        L.wo = random_tensor(rng, c.dim, c.dim), L.bo = random_tensor(rng, 1, c.dim);
        L.ffn_norm = random_tensor(rng, 1, c.dim), L.ffn_norm_bias = random_tensor(rng, 1, c.dim);
        L.w_up = random_tensor(rng, c.hidden_dim, c.dim), L.b_up = random_tensor(rng, 1, c.hidden_dim);
        L.w_down = random_tensor(rng, c.dim, c.hidden_dim), L.b_down = random_tensor(rng, 1, c.dim);
        w.layers.push_back(std::move(L));
    }
    w.final_norm = random_tensor(rng, 1, c.dim), w.final_norm_bias = random_tensor(rng, 1, c.dim);
    w.classifier = random_tensor(rng, c.vocab_size, c.dim);
    m->stop_tokens = {c.vocab_size - 1};
    return m;
}

// Largest |a - b| over two tensors of the same shape (infinity when shapes differ).
float max_diff(const Tensor& a, const Tensor& b) {
    if (a.rows != b.rows || a.cols != b.cols || a.empty() != b.empty()) return INFINITY;
    const std::vector<float> av = a.to_f32(), bv = b.to_f32();  // matrices may be in place, in the file's type
    float worst = 0.0f;
    for (std::size_t i = 0; i < av.size(); ++i) worst = std::max(worst, std::fabs(av[i] - bv[i]));
    return worst;
}

// Every weight of `b` within `tol` of `a`; fails naming the first tensor that is not.
void compare_weights(const Model& a, const Model& b, float tol) {
    const ModelWeights& x = a.weights;
    const ModelWeights& y = b.weights;
    std::vector<std::pair<std::string, std::pair<const Tensor*, const Tensor*>>> pairs = {
        {"token_embedding", {&x.token_embedding, &y.token_embedding}},
        {"position_embedding", {&x.position_embedding, &y.position_embedding}},
        {"final_norm", {&x.final_norm, &y.final_norm}},
        {"final_norm_bias", {&x.final_norm_bias, &y.final_norm_bias}},
        {"classifier", {&x.classifier, &y.classifier}}};
    QCOMPARE(y.layers.size(), x.layers.size());
    for (std::size_t l = 0; l < x.layers.size(); ++l) {
        const LayerWeights& p = x.layers[l];
        const LayerWeights& q = y.layers[l];
        const std::string n = "layer " + std::to_string(l) + " ";
        for (auto [name, pa, pb] :
             {std::tuple{"attn_norm", &p.attn_norm, &q.attn_norm}, {"attn_norm_bias", &p.attn_norm_bias, &q.attn_norm_bias},
              {"wq", &p.wq, &q.wq}, {"wk", &p.wk, &q.wk}, {"wv", &p.wv, &q.wv}, {"bq", &p.bq, &q.bq},
              {"bk", &p.bk, &q.bk}, {"bv", &p.bv, &q.bv}, {"wo", &p.wo, &q.wo}, {"bo", &p.bo, &q.bo},
              {"ffn_norm", &p.ffn_norm, &q.ffn_norm}, {"ffn_norm_bias", &p.ffn_norm_bias, &q.ffn_norm_bias},
              {"w_gate", &p.w_gate, &q.w_gate}, {"w_up", &p.w_up, &q.w_up}, {"b_up", &p.b_up, &q.b_up},
              {"w_down", &p.w_down, &q.w_down}, {"b_down", &p.b_down, &q.b_down}})
            pairs.push_back({n + name, {pa, pb}});
    }
    for (const auto& [name, t] : pairs) {
        if (t.first->empty() && t.second->empty()) continue;
        const float d = max_diff(*t.first, *t.second);
        QVERIFY2(d <= tol, qPrintable(QString("%1: max |diff| %2 > %3 (shape %4x%5 vs %6x%7)")
                                          .arg(QString::fromStdString(name)).arg(d).arg(tol)
                                          .arg(t.first->rows).arg(t.first->cols).arg(t.second->rows).arg(t.second->cols)));
    }
}

void compare_configs(const ModelConfig& a, const ModelConfig& b) {
    QCOMPARE(b.arch, a.arch);
    QCOMPARE(b.name, a.name);
    QCOMPARE(b.dim, a.dim);
    QCOMPARE(b.hidden_dim, a.hidden_dim);
    QCOMPARE(b.n_layers, a.n_layers);
    QCOMPARE(b.n_heads, a.n_heads);
    QCOMPARE(b.n_kv_heads, a.n_kv_heads);
    QCOMPARE(b.vocab_size, a.vocab_size);
    QCOMPARE(b.max_seq_len, a.max_seq_len);
    QCOMPARE(b.norm_eps, a.norm_eps);
    QCOMPARE(b.rotary_dim(), a.rotary_dim());
    QCOMPARE(b.rope_style, RopeStyle::AdjacentPairs);
    QCOMPARE(b.tied_classifier, a.tied_classifier);
    QCOMPARE(b.qkv_bias, a.qkv_bias);
    if (a.arch == Architecture::Llama) QCOMPARE(b.rope_theta, a.rope_theta);
}

std::vector<float> last_logits(std::shared_ptr<const Model> m, const std::vector<int>& ids) {
    auto backend = create_backend("cpu", std::move(m), BackendOptions{}, nullptr);
    if (!backend.ok()) qFatal("%s", backend.message().c_str());
    ForwardOutput out;
    if (!(*backend)->forward(ids, 0, false, AttentionCapture{}, out).ok()) return {};
    return out.logits;
}

Result<std::shared_ptr<Model>> round_trip(const Model& m, const QTemporaryDir& dir, test::GgufModelWriteOptions o = {}) {
    const std::string path = dir.filePath("model.gguf").toStdString();
    KVS_TRY(test::write_model_gguf(m, path, o));
    return load_gguf_model(path);
}

}  // namespace

class TestGgufLoader : public QObject {
    Q_OBJECT

private slots:
    void llamaF32RoundTripIsExact() {
        QTemporaryDir dir;
        const auto m = synthetic_llama(false);
        auto g = round_trip(*m, dir);
        QVERIFY2(g.ok(), g.ok() ? "" : g.message().c_str());
        compare_configs(m->config, (*g)->config);
        compare_weights(*m, **g, 0.0f);
        QCOMPARE((*g)->weights.source_dtype, std::string("F32"));
        QCOMPARE((*g)->format, std::string("gguf"));
        QCOMPARE((*g)->stop_tokens, std::vector<int>{2});
        QCOMPARE((*g)->tokenizer->encode("hello world"), m->tokenizer->encode("hello world"));
        QCOMPARE((*g)->tokenizer->encode("hello world"), (std::vector<int>{273, 276}));  // ▁hello ▁world
        const std::vector<int> ids{1, 273, 276, 262};
        const auto a = last_logits(m, ids), b = last_logits(*g, ids);
        QCOMPARE(int(a.size()), m->config.vocab_size);
        QCOMPARE(b, a);
    }

    void llamaTiedClassifier() {
        QTemporaryDir dir;
        const auto m = synthetic_llama(true);
        auto g = round_trip(*m, dir);
        QVERIFY2(g.ok(), g.ok() ? "" : g.message().c_str());
        QVERIFY((*g)->config.tied_classifier);
        QVERIFY((*g)->weights.classifier.empty());
        compare_weights(*m, **g, 0.0f);
    }

    void llamaReducedPrecisionTypes() {
        // Weights are ~N(0, 0.1), |w| < 0.6: F16 keeps 11 significant bits, BF16 8; Q8_0 steps
        // are block max / 127, at most 0.6 / 127.
        const struct { GgmlType type; const char* name; float tol; } cases[] = {
            {GgmlType::F16, "F16", 0.6f / 2048}, {GgmlType::BF16, "BF16", 0.6f / 256},
            {GgmlType::Q8_0, "Q8_0", 0.6f / 127 * 0.5f + 0.6f / 2048}};
        const auto m = synthetic_llama(false);
        const std::vector<int> ids{1, 273, 276, 262};
        const auto exact = last_logits(m, ids);
        for (const auto& c : cases) {
            QTemporaryDir dir;
            test::GgufModelWriteOptions o;
            o.matrix_type = c.type;
            o.alignment = 64;
            auto g = round_trip(*m, dir, o);
            QVERIFY2(g.ok(), g.ok() ? "" : g.message().c_str());
            QCOMPARE((*g)->weights.source_dtype, std::string(c.name));
            compare_weights(*m, **g, c.tol);
            const auto approx = last_logits(*g, ids);
            QCOMPARE(approx.size(), exact.size());
            float worst = 0.0f, range = 0.0f;
            for (std::size_t i = 0; i < exact.size(); ++i) {
                worst = std::max(worst, std::fabs(approx[i] - exact[i]));
                range = std::max(range, std::fabs(exact[i]));
            }
            QVERIFY2(worst <= 0.05f * range, qPrintable(QString("%1 logits off by %2 (range %3)").arg(c.name).arg(worst).arg(range)));
        }
    }

    void gpt2RoundTripSplitsQkv() {
        QTemporaryDir dir;
        const auto m = synthetic_gpt2();
        auto g = round_trip(*m, dir);
        QVERIFY2(g.ok(), g.ok() ? "" : g.message().c_str());
        compare_configs(m->config, (*g)->config);
        compare_weights(*m, **g, 0.0f);
        QCOMPARE((*g)->stop_tokens, std::vector<int>{m->config.vocab_size - 1});
        QCOMPARE((*g)->tokenizer->encode(" hello"), (std::vector<int>{260}));  // Ġhello
        QCOMPARE((*g)->tokenizer->decode(std::vector<int>{260, 98, 33}), std::string(" hellob!"));
        const std::vector<int> ids{256, 104, 260};
        QCOMPARE(last_logits(*g, ids), last_logits(m, ids));
    }

    void shapeMismatchNamesTheTensor() {
        QTemporaryDir dir;
        auto m = synthetic_llama(false);
        std::mt19937 rng(3);
        m->weights.layers[1].wk = random_tensor(rng, 40, 64);  // kv_dim is 32
        auto g = round_trip(*m, dir);
        QVERIFY(!g.ok());
        const std::string msg = g.message();
        QVERIFY2(msg.find("model.gguf: tensor 'blk.1.attn_k.weight' has shape [64, 40], expected [64, 32]") !=
                     std::string::npos, msg.c_str());
        QVERIFY2(msg.find("[kv_dim, dim]") != std::string::npos, msg.c_str());
    }

    void missingKeyAndTensorAreNamed() {
        const auto m = synthetic_llama(false);
        for (const auto& [omitted, expected] :
             {std::pair{"llama.block_count", "missing key 'llama.block_count'"},
              std::pair{"blk.1.ffn_down.weight", "missing tensor 'blk.1.ffn_down.weight'"},
              std::pair{"tokenizer.ggml.tokens", "missing key 'tokenizer.ggml.tokens'"}}) {
            QTemporaryDir dir;
            test::GgufModelWriteOptions o;
            o.omit = {omitted};
            auto g = round_trip(*m, dir, o);
            QVERIFY(!g.ok());
            QVERIFY2(g.message().find(expected) != std::string::npos, g.message().c_str());
        }
    }

    void unsupportedArchitectureAndTensorType() {
        QTemporaryDir dir;
        test::GgufWriter w;
        w.add_string("general.architecture", "mamba");
        const std::string path = dir.filePath("m.gguf").toStdString();
        QVERIFY(w.write(path).ok());
        auto g = load_gguf_model(path);
        QVERIFY(!g.ok());
        QVERIFY2(g.message().find("architecture 'mamba'") != std::string::npos, g.message().c_str());

        test::GgufWriter q;
        q.add_raw_tensor("iq2", {256}, 16, std::vector<std::uint8_t>(66));  // one IQ2_XXS block
        QVERIFY(q.write(path).ok());
        auto f = GgufFile::open(path);
        QVERIFY(f.ok());
        auto values = gguf_tensor_to_f32(*f, f->tensors()[0]);
        QVERIFY(!values.ok());
        QVERIFY2(values.message().find("tensor 'iq2' has type IQ2_XXS, which cannot be read") != std::string::npos,
                 values.message().c_str());
    }
};

QTEST_APPLESS_MAIN(TestGgufLoader)
#include "test_gguf_loader.moc"
