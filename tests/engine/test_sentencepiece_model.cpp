// SentencePiece tokenizer.model files: stories260K's tok512.model holds the same 512 pieces and
// scores as its llama2.c tok512.bin (../shared/README.md), so both give the known greedy output;
// malformed and unigram models give errors.
#include <QtTest>

#include "core/backend.h"
#include "gguf_writer.h"
#include "model/llama2c_loader.h"
#include "model/model.h"
#include "model/sentencepiece_bpe.h"
#include "model/sentencepiece_model.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

namespace {

std::string tok512_model() { return test::shared_path("models/stories260K/tok512.model"); }

// A protobuf length-delimited field.
void put_field(std::vector<std::uint8_t>& out, int field, const std::vector<std::uint8_t>& payload) {
    out.push_back(std::uint8_t(field << 3 | 2));
    out.push_back(std::uint8_t(payload.size()));  // payloads here are under 128 bytes
    out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace

class TestSentencePieceModel : public QObject {
    Q_OBJECT

private slots:
    void samePiecesAsLlama2cFormat() {
        auto model = read_sentencepiece_model(tok512_model());
        QVERIFY2(model.ok(), model.ok() ? "" : model.message().c_str());
        auto bin = load_llama2c_tokenizer(test::stories260k_tokenizer(), 512);
        QVERIFY(bin.ok());
        const SentencePieceVocab& b = dynamic_cast<const SentencePieceBpe&>(**bin).vocab();
        QCOMPARE(int(model->pieces.size()), 512);
        QCOMPARE(model->bos_id, 1);
        QCOMPARE(model->eos_id, 2);
        QCOMPARE(model->unk_id, 0);
        QVERIFY(model->add_dummy_prefix);
        QCOMPARE(model->types[3], 6);        // <0x00>: a byte piece
        QCOMPARE(model->pieces[3], std::string("<0x00>"));
        for (int i = 3; i < 512; ++i) {  // llama2.c spells 0..2 as "<unk>", "\n<s>\n", "\n</s>\n"
            std::string spaced;
            for (char c : b.pieces[std::size_t(i)]) spaced += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
            QCOMPARE(model->pieces[std::size_t(i)], spaced);
            QCOMPARE(model->scores[std::size_t(i)], b.scores[std::size_t(i)]);
        }
    }

    void storiesGreedyOutputWithTheModelFile() {
        LoadOptions o;
        o.tokenizer_path = tok512_model();
        auto model = load_model(test::stories260k_bin(), o);
        QVERIFY2(model.ok(), model.ok() ? "" : model.message().c_str());
        std::string why;
        auto backend = create_backend("cpu", *model, {}, &why);
        QVERIFY(backend.ok());
        GenerationSession session(*model, std::move(*backend), SessionOptions{});  // greedy by default
        QVERIFY(session.start(test::kStoriesPrompt).ok());
        const auto run = session.run(56);
        QVERIFY2(run.ok(), run.ok() ? "" : run.message().c_str());
        QCOMPARE(session.tokens(), std::vector<int>(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)));
    }

    void malformedAndUnigramModelsAreRefused() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.model").toStdString();
        // One piece "a" (field 1 { 1: "a" }) and a trainer spec without model_type: unigram.
        std::vector<std::uint8_t> unigram;
        put_field(unigram, 1, {0x0A, 0x01, 'a'});
        put_field(unigram, 2, {0x20, 0x10});  // field 4 (vocab_size) = 16
        QVERIFY(test::write_file(path, unigram).ok());
        auto u = read_sentencepiece_model(path);
        QVERIFY(!u.ok());
        QVERIFY2(u.message().find("model type unigram is not supported") != std::string::npos, u.message().c_str());

        std::vector<std::uint8_t> cut = unigram;
        cut.resize(cut.size() - 1);
        cut[1] = 0x7F;  // the first field claims 127 bytes
        QVERIFY(test::write_file(path, cut).ok());
        auto t = read_sentencepiece_model(path);
        QVERIFY(!t.ok());
        QVERIFY2(t.message().find("runs past the end") != std::string::npos, t.message().c_str());
    }
};

QTEST_APPLESS_MAIN(TestSentencePieceModel)
#include "test_sentencepiece_model.moc"
