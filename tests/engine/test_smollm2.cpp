// SmolLM2-135M-Instruct in Q4_1 (Llama architecture, 30 layers, 9 query heads over 3 KV heads,
// a 49152-token byte-level BPE with the "smollm" pre-tokenizer) on the CPU backend against
// independent references (tests/support/smollm2_reference.h). Skipped when the model file is
// absent (scripts/kvscope.sh fetch-models downloads it).
#include <QtTest>

#include <fstream>
#include <sstream>

#include "smollm2_reference.h"

using namespace kvs;

class TestSmollm2 : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    test::SmolReference ref_;

private slots:
    void initTestCase() {
        if (!test::have_smollm2()) QSKIP(test::smollm2_missing().c_str());
        auto m = load_model(test::smollm2_gguf());
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        ref_ = test::smollm2_reference();
    }

    void shape() {
        const ModelConfig& c = model_->config;
        QCOMPARE(c.n_layers, 30);
        QCOMPARE(c.dim, 576);
        QCOMPARE(c.n_heads, 9);
        QCOMPARE(c.n_kv_heads, 3);
        QCOMPARE(c.hidden_dim, 1536);
        QCOMPARE(c.vocab_size, 49152);
        QVERIFY(c.tied_classifier);
        QCOMPARE(c.rope_theta, 100000.0f);
        QCOMPARE(model_->weights.source_dtype, std::string("Q4_1"));
        QCOMPARE(model_->stop_tokens, std::vector<int>{2});  // <|im_end|>
    }

    // llama.cpp's tokenizer test strings, as llama.cpp tokenizes them with this vocabulary.
    void tokenizesTheVocabularyTestStrings() {
        std::ifstream in(test::shared_path("models/gguf-vocab/ggml-vocab-gpt-2.gguf.inp"), std::ios::binary);
        std::stringstream all;
        all << in.rdbuf();
        const std::string text = all.str(), sep = "\n__ggml_vocab_test__\n";
        std::size_t pos = 0, i = 0;
        for (std::size_t hit; (hit = text.find(sep, pos)) != std::string::npos; pos = hit + sep.size(), ++i) {
            QVERIFY(i < ref_.vocab_case_ids.size());
            QCOMPARE(model_->tokenizer->encode(text.substr(pos, hit - pos)), ref_.vocab_case_ids[i]);
        }
        QCOMPARE(i, ref_.vocab_case_ids.size());
    }

    void tokenizesAChatPrompt() {
        QCOMPARE(model_->tokenizer->encode_prompt(ref_.chat_prompt), ref_.chat_ids);  // control tokens parsed, no BOS
        std::string shown = ref_.chat_prompt;  // control tokens decode to nothing
        for (const std::string marker : {"<|im_start|>", "<|im_end|>"})
            for (std::size_t at; (at = shown.find(marker)) != std::string::npos;) shown.erase(at, marker.size());
        QCOMPARE(model_->tokenizer->decode(ref_.chat_ids), shown);
    }

    void greedyContinuationsAndLogits() {
        auto b = create_backend("cpu", model_, {}, nullptr);
        QVERIFY(b.ok());
        test::check_smollm2_greedy(**b, ref_, "cpu");
    }
};

QTEST_APPLESS_MAIN(TestSmollm2)
#include "test_smollm2.moc"
