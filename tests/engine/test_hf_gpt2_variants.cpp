// The shapes GPT-2 folders come in: GPT2LMHeadModel names or bare GPT2Model names, causal-mask
// buffers saved beside the weights, tied or separate lm_head, tokenizer.json or vocab.json +
// merges.txt, one file or shards. All must load to the same logits; GGUF and HF agree on BOS.
#include <QtTest>

#include <cmath>

#include "core/backend.h"
#include "gguf_model_writer.h"
#include "hf_model_writer.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

class TestHfGpt2Variants : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> base_;   // makemore-names as shipped (separate lm_head)
    std::shared_ptr<Model> tied_;   // the same with the classifier tied to wte
    std::vector<float> base_logits_, tied_logits_;
    QTemporaryDir tmp_;
    int written_ = 0;

    std::shared_ptr<const Model> write_and_load(const Model& m, const test::HfWriteOptions& o) {
        const std::string dir = tmp_.filePath(QString("v%1").arg(written_++)).toStdString();
        const Status s = test::write_hf_gpt2(m, dir, o);
        if (!s.ok()) qFatal("%s", s.message().c_str());
        auto loaded = load_model(dir);
        if (!loaded.ok()) qFatal("%s", loaded.message().c_str());
        return *loaded;
    }

    // Logits of every position of ".alexia" ([7, 27]).
    static std::vector<float> logits(std::shared_ptr<const Model> m) {
        auto b = create_backend("cpu", m, BackendOptions{}, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        ForwardOutput out;
        const std::vector<int> ids{0, 1, 12, 5, 24, 9, 1};
        if (!(*b)->forward(ids, 0, true, AttentionCapture{}, out).ok()) return {};
        return out.logits;
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::makemore_dir());
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        base_ = *m;
        tied_ = std::make_shared<Model>(*base_);
        tied_->weights.classifier = Tensor{};
        tied_->config.tied_classifier = true;
        base_logits_ = logits(base_);
        tied_logits_ = logits(tied_);
        QCOMPARE(base_logits_.size(), std::size_t(7 * 27));
        QVERIFY(base_logits_ != tied_logits_);  // so that a wrongly tied classifier shows
        QVERIFY(tmp_.isValid());
    }

    void namingAndBufferVariantsGiveIdenticalLogits_data() {
        QTest::addColumn<bool>("prefix");
        QTest::addColumn<bool>("buffers");
        QTest::addColumn<bool>("tokenizerJson");
        QTest::addColumn<int>("shards");
        QTest::newRow("GPT2LMHeadModel names") << true << false << false << 1;
        QTest::newRow("GPT2Model names") << false << false << false << 1;
        QTest::newRow("attn.bias buffers") << true << true << false << 1;
        QTest::newRow("bare names with buffers") << false << true << false << 1;
        QTest::newRow("tokenizer.json") << true << false << true << 1;
        QTest::newRow("three shards") << true << true << false << 3;
    }
    void namingAndBufferVariantsGiveIdenticalLogits() {
        QFETCH(bool, prefix);
        QFETCH(bool, buffers);
        QFETCH(bool, tokenizerJson);
        QFETCH(int, shards);
        test::HfWriteOptions o;
        o.transformer_prefix = prefix;
        o.mask_buffers = buffers;
        o.tokenizer_json = tokenizerJson;
        o.shards = shards;
        const auto m = write_and_load(*base_, o);
        QCOMPARE(m->config.tied_classifier, false);
        QCOMPARE(logits(m), base_logits_);
        QCOMPARE(m->tokenizer->encode_prompt("alexia"), (std::vector<int>{1, 12, 5, 24, 9, 1}));
        QCOMPARE(m->tokenizer->encode_prompt(""), std::vector<int>{0});
    }

    void tiedClassifierVariantsAgree_data() {
        QTest::addColumn<bool>("writeLmHead");
        QTest::addColumn<bool>("tieWordEmbeddings");
        QTest::newRow("no lm_head, tie false") << false << false;
        QTest::newRow("no lm_head, tie true") << false << true;
        QTest::newRow("lm_head = wte, tie false") << true << false;
    }
    void tiedClassifierVariantsAgree() {
        QFETCH(bool, writeLmHead);
        QFETCH(bool, tieWordEmbeddings);
        test::HfWriteOptions o;
        o.write_lm_head = writeLmHead;
        o.tie_word_embeddings = tieWordEmbeddings;
        const auto m = write_and_load(*tied_, o);
        QCOMPARE(m->config.tied_classifier, !writeLmHead);
        QCOMPARE(logits(m), tied_logits_);
    }

    // tie_word_embeddings wins over a stored lm_head.weight, as in transformers.
    void tieWordEmbeddingsIgnoresAStoredLmHead() {
        test::HfWriteOptions o;
        o.tie_word_embeddings = true;
        const auto m = write_and_load(*base_, o);
        QCOMPARE(m->config.tied_classifier, true);
        QVERIFY(m->weights.classifier.empty());
        QCOMPARE(logits(m), tied_logits_);
    }

    // The same GPT-2 as GGUF: same BOS rule (text is not prefixed, an empty prompt is [BOS]),
    // same greedy name.
    void ggufAndHfAgreeOnBosAndGreedyOutput() {
        const std::string path = tmp_.filePath("makemore.gguf").toStdString();
        QVERIFY(test::write_model_gguf(*base_, path).ok());
        auto g = load_model(path);
        QVERIFY2(g.ok(), g.ok() ? "" : g.message().c_str());
        std::shared_ptr<const Model> gguf = *g;
        QCOMPARE(gguf->tokenizer->add_bos, base_->tokenizer->add_bos);
        QCOMPARE(gguf->tokenizer->bos_id, 0);
        QCOMPARE(gguf->tokenizer->encode_prompt(""), base_->tokenizer->encode_prompt(""));
        QCOMPARE(gguf->tokenizer->encode_prompt("ann"), base_->tokenizer->encode_prompt("ann"));
        for (const auto& m : {std::shared_ptr<const Model>(base_), gguf}) {
            auto b = create_backend("cpu", m, BackendOptions{}, nullptr);
            QVERIFY(b.ok());
            GenerationSession s(m, std::move(b).value(), SessionOptions{});
            QVERIFY(s.start("").ok());
            QVERIFY(s.run(15).ok());
            QCOMPARE(s.tokens(), (std::vector<int>{0, 1, 12, 5, 24, 9, 1, 0}));
        }
    }
};

QTEST_APPLESS_MAIN(TestHfGpt2Variants)
#include "test_hf_gpt2_variants.moc"
