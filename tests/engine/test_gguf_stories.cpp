// stories260K (llama2.c checkpoint + tokenizer.bin) written as GGUF and read back through
// load_model: the config, every weight and the tokenizer must survive, and the CPU backend
// must still produce llama2.c's known greedy text.
#include <QtTest>

#include <cmath>

#include "core/backend.h"
#include "gguf_model_writer.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "stories_checks.h"
#include "test_paths.h"

using namespace kvs;

namespace {

float max_diff(const Tensor& a, const Tensor& b) {
    if (a.rows != b.rows || a.cols != b.cols || a.data.size() != b.data.size()) return INFINITY;
    float worst = 0.0f;
    for (std::size_t i = 0; i < a.data.size(); ++i) worst = std::max(worst, std::fabs(a.data[i] - b.data[i]));
    return worst;
}

// The largest difference over every weight, and the name of the tensor where it occurs.
std::pair<float, std::string> worst_weight(const ModelWeights& x, const ModelWeights& y) {
    std::pair<float, std::string> worst{0.0f, ""};
    const auto check = [&](const std::string& name, const Tensor& a, const Tensor& b) {
        const float d = max_diff(a, b);
        if (!(d <= worst.first)) worst = {d, name};
    };
    check("token_embedding", x.token_embedding, y.token_embedding);
    check("final_norm", x.final_norm, y.final_norm);
    check("classifier", x.classifier_matrix(), y.classifier_matrix());
    if (x.layers.size() != y.layers.size()) return {INFINITY, "layer count"};
    for (std::size_t l = 0; l < x.layers.size(); ++l) {
        const LayerWeights& p = x.layers[l];
        const LayerWeights& q = y.layers[l];
        const std::string n = "layer " + std::to_string(l) + " ";
        check(n + "attn_norm", p.attn_norm, q.attn_norm);
        check(n + "wq", p.wq, q.wq);
        check(n + "wk", p.wk, q.wk);
        check(n + "wv", p.wv, q.wv);
        check(n + "wo", p.wo, q.wo);
        check(n + "ffn_norm", p.ffn_norm, q.ffn_norm);
        check(n + "w_gate", p.w_gate, q.w_gate);
        check(n + "w_up", p.w_up, q.w_up);
        check(n + "w_down", p.w_down, q.w_down);
    }
    return worst;
}

}  // namespace

class TestGgufStories : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> original_;
    QTemporaryDir dir_;

    std::shared_ptr<Model> write_and_load(GgmlType type, const char* file) {
        const std::string path = dir_.filePath(file).toStdString();
        test::GgufModelWriteOptions o;
        o.matrix_type = type;
        const Status written = test::write_model_gguf(*original_, path, o);
        if (!written.ok()) qFatal("%s", written.message().c_str());
        auto g = load_model(path);
        if (!g.ok()) qFatal("%s", g.message().c_str());
        return *g;
    }

    std::vector<int> greedy_ids(std::shared_ptr<const Model> m) {
        auto backend = create_backend("cpu", m, BackendOptions{}, nullptr);
        if (!backend.ok()) qFatal("%s", backend.message().c_str());
        GenerationSession s(m, std::move(backend).value(), SessionOptions{});
        // BOS + 4 prompt tokens + 56 generated = the 61 known ids.
        if (!s.start(test::kStoriesPrompt).ok() || !s.run(56).ok()) return {};
        return s.tokens();
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        if (!m.ok()) QSKIP(qPrintable("load_model cannot read the llama2.c checkpoint yet: " + QString::fromStdString(m.message())));
        original_ = *m;
        QVERIFY(dir_.isValid());
    }

    void f32GgufKeepsConfigWeightsAndTokenizer() {
        const auto g = write_and_load(GgmlType::F32, "stories260K-f32.gguf");
        QCOMPARE(g->format, std::string("gguf"));
        const ModelConfig& a = original_->config;
        const ModelConfig& b = g->config;
        QCOMPARE(b.arch, Architecture::Llama);
        test::compare_stories260k_shape(b);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(b.tied_classifier, a.tied_classifier);
        QCOMPARE(b.norm_eps, a.norm_eps);
        QCOMPARE(b.rope_theta, a.rope_theta);
        QCOMPARE(b.rotary_dim(), a.rotary_dim());
        QCOMPARE(b.rope_style, RopeStyle::AdjacentPairs);
        const auto [worst, where] = worst_weight(original_->weights, g->weights);
        QVERIFY2(worst == 0.0f, qPrintable(QString("%1 differs by %2").arg(QString::fromStdString(where)).arg(worst)));
        const std::vector<int> prompt{1, 403, 407, 261, 378};
        QCOMPARE(g->tokenizer->encode_prompt(test::kStoriesPrompt), prompt);
        QCOMPARE(g->tokenizer->encode_prompt(test::kStoriesPrompt), original_->tokenizer->encode_prompt(test::kStoriesPrompt));
        for (int id = 0; id < 512; ++id)
            QCOMPARE(g->tokenizer->decode_piece(13, id), original_->tokenizer->decode_piece(13, id));
    }

    void f32GgufGivesKnownGreedyText() {
        const auto g = write_and_load(GgmlType::F32, "stories260K-f32.gguf");
        const std::vector<int> expected(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));
        const auto ids = greedy_ids(g);
        QCOMPARE(ids, expected);
        const std::vector<int> shown(ids.begin() + 1, ids.end());
        QCOMPARE(QString::fromStdString(g->tokenizer->decode(shown)), QString(test::kStoriesGreedyText));
    }

    void f16GgufStaysCloseAndKeepsGreedyText() {
        const auto g = write_and_load(GgmlType::F16, "stories260K-f16.gguf");
        QCOMPARE(g->weights.source_dtype, std::string("F16"));
        // Rounding to F16 (11 significant bits) moves a weight by at most 2^-11 of itself, or
        // by half the subnormal step 2^-24 for weights below 2^-14.
        float worst_excess = -1.0f, any_change = 0.0f;
        const auto& a = original_->weights.layers;
        const auto& b = g->weights.layers;
        for (std::size_t l = 0; l < a.size(); ++l)
            for (std::size_t i = 0; i < a[l].wq.data.size(); ++i) {
                const float x = a[l].wq.data[i], diff = std::fabs(b[l].wq.data[i] - x);
                worst_excess = std::max(worst_excess, diff - (std::fabs(x) / 2048 + std::ldexp(1.0f, -25)));
                any_change = std::max(any_change, diff);
            }
        QVERIFY2(worst_excess <= 0.0f, qPrintable(QString("wq off by %1 beyond F16 rounding").arg(worst_excess)));
        QVERIFY(any_change > 0.0f);  // the file really stored halves
        const std::vector<int> expected(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));
        QCOMPARE(greedy_ids(g), expected);
    }
};

QTEST_APPLESS_MAIN(TestGgufStories)
#include "test_gguf_stories.moc"
