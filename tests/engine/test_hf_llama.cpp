// stories260K written as a Hugging Face Llama folder (Q/K rows permuted for rotate-half RoPE,
// tokenizer.json with ranked merges) and read back: llama2.c's known greedy text must survive
// single-file, sharded, F16 and BF16 folders.
#include <QtTest>

#include <cmath>
#include <filesystem>

#include "cli_runner.h"
#include "core/backend.h"
#include "hf_model_writer.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "stories_checks.h"
#include "test_paths.h"

using namespace kvs;

class TestHfLlama : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> original_;
    QTemporaryDir tmp_;

    std::shared_ptr<const Model> write_and_load(const char* name, const test::HfWriteOptions& o) {
        const std::string dir = tmp_.filePath(name).toStdString();
        const Status written = test::write_hf_llama(*original_, dir, o);
        if (!written.ok()) qFatal("%s", written.message().c_str());
        auto m = load_model(dir);
        if (!m.ok()) qFatal("%s", m.message().c_str());
        return *m;
    }

    static std::unique_ptr<Backend> cpu(std::shared_ptr<const Model> m) {
        auto b = create_backend("cpu", m, BackendOptions{}, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    }

    static std::vector<int> greedy_ids(std::shared_ptr<const Model> m) {
        GenerationSession s(m, cpu(m), SessionOptions{});
        // BOS + 4 prompt tokens + 56 generated = the 61 known ids.
        if (!s.start(test::kStoriesPrompt).ok() || !s.run(56).ok()) return {};
        return s.tokens();
    }

    // Logits of every position of the known sequence.
    static std::vector<float> sequence_logits(std::shared_ptr<const Model> m) {
        auto b = cpu(m);
        ForwardOutput out;
        const std::vector<int> ids(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));
        if (!b->forward(ids, 0, true, AttentionCapture{}, out).ok()) return {};
        return out.logits;
    }

    static float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
        if (a.size() != b.size() || a.empty()) return INFINITY;
        float worst = 0.0f;
        for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
        return worst;
    }

    static std::vector<int> known_ids() {
        return {std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        original_ = *m;
        QVERIFY(tmp_.isValid());
    }

    void configUsesRotateHalfAndKeepsShape() {
        const auto hf = write_and_load("f32", {});
        const ModelConfig& c = hf->config;
        QCOMPARE(hf->format, std::string("hf"));
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.rope_style, RopeStyle::HalfRotate);
        test::compare_stories260k_shape(c);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(c.norm_eps, 1e-5f);
        QCOMPARE(c.rope_theta, 10000.0f);
        QCOMPARE(c.tied_classifier, true);
        QCOMPARE(c.qkv_bias, false);
        // The folder holds Q/K in Hugging Face's row order, which the loader keeps as is.
        const auto& a = original_->weights.layers[2];
        const auto& b = hf->weights.layers[2];
        QCOMPARE(b.wq.to_f32(), test::permute_for_half_rotation(a.wq, 8).data);
        QCOMPARE(b.wk.to_f32(), test::permute_for_half_rotation(a.wk, 4).data);
        QVERIFY(b.wq.to_f32() != a.wq.to_f32());
        QCOMPARE(b.wv.to_f32(), a.wv.to_f32());
        QCOMPARE(b.w_down.to_f32(), a.w_down.to_f32());
    }

    void tokenizerJsonMatchesTheSentencePieceVocabulary() {
        const auto hf = write_and_load("f32", {});
        const Tokenizer& t = *hf->tokenizer;
        QCOMPARE(t.vocab_size(), 512);
        QCOMPARE(t.bos_id, 1);
        QCOMPARE(t.eos_id, 2);
        QCOMPARE(t.add_bos, true);  // from the post-processor template, as HF Llama tokenizers do
        QCOMPARE(t.encode_prompt(test::kStoriesPrompt), (std::vector<int>{1, 403, 407, 261, 378}));
        for (const char* text : {"Once upon a time, there was a little girl named Lily.", "  two  spaces\nand a line",
                                 "caf\xC3\xA9 \xE2\x82\xAC 42!", "Tom's dog said: \"hi\"."})
            QCOMPARE(t.encode(text), original_->tokenizer->encode(text));
        for (int id = 3; id < 512; ++id) QCOMPARE(t.decode_piece(13, id), original_->tokenizer->decode_piece(13, id));
        QCOMPARE(hf->stop_tokens, (std::vector<int>{2}));
    }

    void f32FolderGivesKnownGreedyText() {
        const auto hf = write_and_load("f32", {});
        const auto ids = greedy_ids(hf);
        QCOMPARE(ids, known_ids());
        const std::vector<int> shown(ids.begin() + 1, ids.end());
        QCOMPARE(QString::fromStdString(hf->tokenizer->decode(shown)), QString(test::kStoriesGreedyText));
        // Rotate-half on permuted rows is the same function as adjacent pairs on the original
        // rows; only the order of float additions differs.
        const float diff = max_abs_diff(sequence_logits(hf), sequence_logits(original_));
        QVERIFY2(diff < 1e-4f, qPrintable(QString::number(diff)));
    }

    void shardedFolderGivesKnownGreedyText() {
        test::HfWriteOptions o;
        o.shards = 2;
        const auto hf = write_and_load("sharded", o);
        QVERIFY(std::filesystem::exists(tmp_.filePath("sharded/model.safetensors.index.json").toStdString()));
        QVERIFY(std::filesystem::exists(tmp_.filePath("sharded/model-00002-of-00002.safetensors").toStdString()));
        QVERIFY(!std::filesystem::exists(tmp_.filePath("sharded/model.safetensors").toStdString()));
        QCOMPARE(greedy_ids(hf), known_ids());
    }

    void f16FolderStaysWithinHalfPrecision() {
        test::HfWriteOptions o;
        o.dtype = "F16";
        const auto hf = write_and_load("f16", o);
        QCOMPARE(hf->weights.source_dtype, std::string("F16"));
        // Matrices stay in the mapped file as F16; norm weights are F32 copies.
        QCOMPARE(int(hf->weights.layers[1].w_up.storage_type()), int(WeightType::F16));
        QVERIFY(hf->weights.layers[1].w_up.stored != nullptr && hf->weights.layers[1].w_up.data.empty());
        QCOMPARE(hf->weights.layers[1].w_up.storage_bytes(), std::int64_t(172 * 64 * 2));
        const float diff = max_abs_diff(sequence_logits(hf), sequence_logits(original_));
        qInfo("F16 folder: max logit difference %g", diff);
        QVERIFY2(diff > 0.0f && diff < 0.05f, qPrintable(QString::number(diff)));
        QCOMPARE(greedy_ids(hf), known_ids());
    }

    void bf16FolderStaysWithinBfloatPrecision() {
        test::HfWriteOptions o;
        o.dtype = "BF16";
        const auto hf = write_and_load("bf16", o);
        QCOMPARE(hf->weights.source_dtype, std::string("BF16"));
        // Matrices stay in the mapped file as BF16; norm weights are F32 copies.
        QCOMPARE(int(hf->weights.layers[1].w_up.storage_type()), int(WeightType::BF16));
        QVERIFY(hf->weights.layers[1].w_up.stored != nullptr && hf->weights.layers[1].w_up.data.empty());
        QCOMPARE(hf->weights.layers[1].w_up.storage_bytes(), std::int64_t(172 * 64 * 2));
        const float diff = max_abs_diff(sequence_logits(hf), sequence_logits(original_));
        qInfo("BF16 folder: max logit difference %g", diff);
        QVERIFY2(diff > 0.0f && diff < 0.5f, qPrintable(QString::number(diff)));
        QCOMPARE(greedy_ids(hf), known_ids());
    }

    void cliGeneratesTheKnownTextFromTheFolder() {
        const QString dir = tmp_.filePath("cli");
        QVERIFY(test::write_hf_llama(*original_, dir.toStdString()).ok());
        auto r = test::run_cli({"generate", "--model", dir, "--prompt", test::kStoriesPrompt, "-n", "56",
                                "--temperature", "0"});
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
        auto info = test::run_cli({"info", "--model", dir});
        QCOMPARE(info.exit_code, 0);
        QVERIFY2(info.out.contains("format                     hf") && info.out.contains("n_kv_heads                 4"),
                 qPrintable(info.out));
    }

    // Qwen2 is Llama with Q/K/V biases; the Q and K biases are permuted like their rows.
    void qwen2BiasesAreReadAndRotatedWithTheirRows() {
        auto biased = std::make_shared<Model>(*original_);
        biased->config.qkv_bias = true;
        const auto fill = [](int n, float phase) {
            Tensor t = Tensor::vector(n);
            for (int i = 0; i < n; ++i) t.data[std::size_t(i)] = 0.3f * std::sin(1.7f * float(i) + phase);
            return t;
        };
        for (std::size_t l = 0; l < biased->weights.layers.size(); ++l) {
            LayerWeights& L = biased->weights.layers[l];
            L.bq = fill(64, float(l));
            L.bk = fill(32, float(l) + 0.5f);
            L.bv = fill(32, float(l) + 1.0f);
        }
        const std::string dir = tmp_.filePath("qwen2").toStdString();
        test::HfWriteOptions o;
        o.model_type = "qwen2";
        QVERIFY(test::write_hf_llama(*biased, dir, o).ok());
        auto m = load_model(dir);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QCOMPARE((*m)->config.qkv_bias, true);
        const std::vector<float> expected = sequence_logits(biased);
        const float diff = max_abs_diff(sequence_logits(*m), expected);
        QVERIFY2(diff < 1e-4f, qPrintable(QString::number(diff)));
        QVERIFY(max_abs_diff(expected, sequence_logits(original_)) > 0.01f);  // the biases matter
    }

    // Mistral's sliding window is not modelled, so the context stops at the window.
    void mistralSlidingWindowLimitsTheContext() {
        const std::string dir = tmp_.filePath("mistral").toStdString();
        test::HfWriteOptions o;
        o.model_type = "mistral";
        o.sliding_window = 128;
        QVERIFY(test::write_hf_llama(*original_, dir, o).ok());
        auto m = load_model(dir);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QCOMPARE((*m)->config.max_seq_len, 128);
        QCOMPARE((*m)->config.qkv_bias, false);
        QCOMPARE(greedy_ids(*m), known_ids());
    }
};

QTEST_GUILESS_MAIN(TestHfLlama)
#include "test_hf_llama.moc"
