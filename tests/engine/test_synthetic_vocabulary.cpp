// Synthetic models borrow the real vocabulary of their shape: Llama 2's 32000 tokens for
// Llama-2-7B (reference ids below), stories260K's tok512 for its shape; a vocabulary that is not
// found or not known gives one token per byte and says why; a named tokenizer file is used or
// refused; the folders searched follow one rule.
//
// Reference ids: llama2.c's encode() (BPE by merge scores over tokenizer.bin, dummy-prefix
// space, BOS 1) ported to Python and run once over ../shared/models/llama2-tokenizer/tokenizer.bin:
//   "Once upon a time"                -> 1 9038 2501 263 931
//   "I believe the meaning of life is" -> 1 306 4658 278 6593 310 2834 338 (also llama2.c's own
//                                         test of its tokenizer)
// and over stories260K/tok512.bin "Once upon a time" -> 1 403 407 261 378 (../shared/README.md).
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>

#include "cli_runner.h"
#include "core/backend.h"
#include "model/model_presets.h"
#include "model/model_search_path.h"
#include "model/synthetic_model.h"
#include "model/synthetic_vocabulary.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

namespace {

std::string shared_models() { return test::shared_path("models"); }

// The pieces of a llama2.c tokenizer.bin, read here without the engine's reader.
std::vector<std::string> read_pieces(const std::string& path, int n) {
    std::ifstream in(path, std::ios::binary);
    std::int32_t max_len = 0;
    in.read(reinterpret_cast<char*>(&max_len), 4);
    std::vector<std::string> pieces;
    for (int i = 0; i < n && in; ++i) {
        float score = 0;
        std::int32_t len = 0;
        in.read(reinterpret_cast<char*>(&score), 4);
        in.read(reinterpret_cast<char*>(&len), 4);
        std::string s(std::size_t(len), '\0');
        in.read(s.data(), len);
        pieces.push_back(s);
    }
    return pieces;
}

void write_file(const QString& path, const std::string& text) {
    std::ofstream(path.toStdString(), std::ios::binary) << text;
}

}  // namespace

class TestSyntheticVocabulary : public QObject {
    Q_OBJECT
private slots:
    void llama2ShapeEncodesWithTheLlama2Vocabulary() {
        SyntheticOptions o;
        o.layers = 1;
        o.seed = 5;
        o.search_dirs = {shared_models()};
        auto m = make_synthetic_model("llama-2-7b", o);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        const Model& model = **m;
        QCOMPARE(model.config.n_layers, 1);
        QCOMPARE(model.config.vocab_size, 32000);
        QCOMPARE(model.tokenizer_name, std::string("Llama 2, 32000 tokens"));
        QVERIFY2(model.tokenizer_note.find("llama2-tokenizer/tokenizer.bin") != std::string::npos,
                 model.tokenizer_note.c_str());
        const Tokenizer& t = *model.tokenizer;
        QCOMPARE(t.encode_prompt("Once upon a time"), (std::vector<int>{1, 9038, 2501, 263, 931}));
        QCOMPARE(t.encode_prompt("I believe the meaning of life is"),
                 (std::vector<int>{1, 306, 4658, 278, 6593, 310, 2834, 338}));
        const std::vector<int> prompt{9038, 2501, 263, 931};
        QCOMPARE(t.decode(prompt), std::string("Once upon a time"));
        QVERIFY(model.stop_tokens.empty());  // random weights: runs go to their limit

        // Generated ids decode to the vocabulary's pieces, never to "<id>" placeholders.
        BackendOptions bo;
        bo.kv_capacity = 32;
        auto backend = create_backend("cpu", *m, bo, nullptr);
        QVERIFY2(backend.ok(), backend.ok() ? "" : backend.message().c_str());
        GenerationSession s(*m, std::move(backend).value(), SessionOptions{});
        QVERIFY(s.start("Once upon a time").ok());
        QVERIFY(s.run(4).ok());
        const std::vector<int>& ids = s.tokens();
        QCOMPARE(int(ids.size()), 5 + 4);
        const auto pieces = read_pieces(test::shared_path("models/llama2-tokenizer/tokenizer.bin"), 32000);
        QCOMPARE(int(pieces.size()), 32000);
        std::string text;
        for (std::size_t i = 5; i < ids.size(); ++i) {
            const int id = ids[i];
            const std::string piece = t.decode_piece(ids[i - 1], id);
            const std::string& stored = pieces[std::size_t(id)];
            // Byte tokens "<0xNN>" stand for their byte; every other token for its piece.
            if (stored.size() == 6 && stored.rfind("<0x", 0) == 0)
                QCOMPARE(piece, std::string(1, char(std::stoi(stored.substr(3, 2), nullptr, 16))));
            else
                QCOMPARE(piece, stored);
            QVERIFY(t.token_label(id) != "<" + std::to_string(id) + ">");
            text += piece;
        }
        QCOMPARE(t.decode(std::span<const int>(ids).subspan(1)), "Once upon a time" + text);
        qInfo("random weights after \"Once upon a time\": \"%s\"", text.c_str());
    }

    void stories260kShapeUsesTok512() {
        SyntheticOptions o;
        o.layers = 1;
        o.search_dirs = {shared_models()};
        auto m = make_synthetic_model("stories260k", o);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QCOMPARE((*m)->tokenizer_name, std::string("stories260K, 512 tokens"));
        QCOMPARE((*m)->tokenizer->encode_prompt("Once upon a time"), (std::vector<int>{1, 403, 407, 261, 378}));
    }

    void missingOrUnknownVocabulariesGiveBytesAndSayWhy() {
        QTemporaryDir empty;
        SyntheticTokenizerRequest r;
        r.vocabulary = "llama2";
        r.model_name = "Llama 2 7B";
        r.vocab_size = 32000;
        r.search_dirs = {empty.path().toStdString()};
        auto missing = synthetic_tokenizer(r);
        QVERIFY(missing.ok());
        QCOMPARE(missing->name, std::string("bytes"));
        QVERIFY2(missing->note.find("llama2-tokenizer/tokenizer.bin") != std::string::npos &&
                     missing->note.find(empty.path().toStdString()) != std::string::npos &&
                     missing->note.find("KVSCOPE_MODEL_PATH") != std::string::npos,
                 missing->note.c_str());
        // Byte b is id 3 + b.
        QCOMPARE(missing->tokenizer->encode("Hi"), (std::vector<int>{3 + 'H', 3 + 'i'}));

        r.vocabulary = "mistral";
        r.model_name = "Mistral 7B";
        r.search_dirs = {shared_models()};
        auto unknown = synthetic_tokenizer(r);
        QVERIFY(unknown.ok());
        QCOMPARE(unknown->name, std::string("bytes"));
        QVERIFY2(unknown->note.find("Mistral 7B") != std::string::npos, unknown->note.c_str());

        // A tokenizer file that is found but does not belong (here: one whose token count is
        // not 32000) is passed over, with the reason in the note.
        QDir(empty.path()).mkpath("llama2-tokenizer");
        QFile::copy(QString::fromStdString(test::stories260k_tokenizer()),
                    empty.filePath("llama2-tokenizer/tokenizer.bin"));
        r.vocabulary = "llama2";
        r.search_dirs = {empty.path().toStdString()};
        auto wrong = synthetic_tokenizer(r);
        QVERIFY(wrong.ok());
        QCOMPARE(wrong->name, std::string("bytes"));
        QVERIFY2(wrong->note.find("truncated") != std::string::npos, wrong->note.c_str());
    }

    void namedTokenizersAreUsedOrRefused() {
        SyntheticTokenizerRequest r;
        r.vocabulary = "mistral";
        r.model_name = "Mistral 7B";
        r.vocab_size = 32000;
        r.tokenizer = test::shared_path("models/llama2-tokenizer/tokenizer.bin");
        auto named = synthetic_tokenizer(r);
        QVERIFY2(named.ok(), named.ok() ? "" : named.message().c_str());
        QCOMPARE(named->name, std::string("tokenizer.bin, 32000 tokens"));
        QCOMPARE(named->tokenizer->encode("Once upon a time"), (std::vector<int>{9038, 2501, 263, 931}));

        r.tokenizer = test::stories260k_tokenizer();  // 512 tokens for a 32000-token model
        auto refused = synthetic_tokenizer(r);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.message().find("tok512.bin") != std::string::npos, refused.message().c_str());

        r.tokenizer = "/nonexistent/tokenizer.bin";
        QVERIFY(!synthetic_tokenizer(r).ok());

        r.tokenizer = "bytes";
        auto bytes = synthetic_tokenizer(r);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes->note, std::string("one token per byte: asked for"));

        // The old entry point stays independent of the disk: bytes.
        auto m = make_synthetic_model("stories260k", 1, 1);
        QVERIFY(m.ok());
        QCOMPARE((*m)->tokenizer_name, std::string("bytes"));
    }

    // A GPT-2 shape finds a Hugging Face tokenizer folder named gpt2-tokenizer: built here with
    // GPT-2's byte alphabet as its first 256 tokens, fillers up to 50256 and <|endoftext|>, and no
    // merges, so every byte is its own token.
    void gpt2ShapeFindsATokenizerFolder() {
        QTemporaryDir root;
        QDir(root.path()).mkpath("gpt2-tokenizer");
        // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others
        // for U+0100 onwards in byte order.
        std::vector<std::string> alphabet(256);
        int extra = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const int cp = printable ? b : 256 + extra++;
            std::string utf8;
            if (cp < 0x80) utf8 = std::string(1, char(cp));
            else utf8 = {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
            alphabet[std::size_t(b)] = utf8;
        }
        std::string vocab = "{";
        auto quote = [](const std::string& s) {
            std::string q = "\"";
            for (char c : s) {
                if (c == '"' || c == '\\') q += '\\';
                q += c;
            }
            return q + "\"";
        };
        for (int b = 0; b < 256; ++b) vocab += quote(alphabet[std::size_t(b)]) + ":" + std::to_string(b) + ",";
        for (int id = 256; id < 50256; ++id)
            vocab += "\"filler" + std::to_string(id) + "\":" + std::to_string(id) + ",";
        vocab += "\"<|endoftext|>\":50256}";
        write_file(root.filePath("gpt2-tokenizer/vocab.json"), vocab);
        write_file(root.filePath("gpt2-tokenizer/merges.txt"), "#version: 0.2\n");

        SyntheticTokenizerRequest r;
        r.vocabulary = "gpt2";
        r.model_name = "GPT-2";
        r.vocab_size = 50257;
        r.search_dirs = {root.path().toStdString()};
        auto found = synthetic_tokenizer(r);
        QVERIFY2(found.ok(), found.ok() ? "" : found.message().c_str());
        QCOMPARE(found->name, std::string("GPT-2, 50257 tokens"));
        QVERIFY2(found->note.find("gpt2-tokenizer") != std::string::npos, found->note.c_str());
        QCOMPARE(found->tokenizer->encode("Hi!"), (std::vector<int>{'H', 'i', '!'}));
        // The space is byte 32, which GPT-2's alphabet writes as U+0120 ('Ġ'): here id 32.
        QCOMPARE(found->tokenizer->encode(" a"), (std::vector<int>{32, 'a'}));
    }

    // The command line finds the vocabulary by itself (here through $KVSCOPE_MODEL_PATH, so that
    // the test does not depend on where the build folder is), says so on stderr, and takes
    // --tokenizer bytes.
    void commandLineFindsTheVocabulary() {
        test::CliEnvironment env;
        env.set.append({"KVSCOPE_MODEL_PATH", QString::fromStdString(shared_models())});
        auto r = test::run_cli({"tokenize", "--synthetic", "stories15m", "--bos", "Once upon a time"}, env);
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("9038") && r.out.contains("931") && r.out.contains(QString::fromUtf8("\u2581upon")),
                 qPrintable(r.out));
        QVERIFY2(r.err.contains("random weights") && r.err.contains("llama2-tokenizer/tokenizer.bin"),
                 qPrintable(r.err));
        r = test::run_cli({"tokenize", "--synthetic", "stories15m", "--tokenizer", "bytes", "--json", "Hi"}, env);
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QString::number(3 + 'H')) && r.err.contains("one token per byte"),
                 qPrintable(r.out + r.err));
        r = test::run_cli({"tokenize", "--synthetic", "stories15m", "--tokenizer",
                           QString::fromStdString(test::stories260k_tokenizer()), "x"}, env);
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("tok512.bin"), qPrintable(r.err));
    }

    void presetsNameTheirVocabulary() {
        auto llama = find_model_preset("llama-2-7b");
        QVERIFY(llama.ok());
        QCOMPARE(llama->vocabulary, std::string("llama2"));
        auto bad = parse_model_preset(
            R"({"name":"t","display_name":"T","source":"s","architecture":"llama","dim":8,"hidden_dim":8,"n_layers":1,)"
            R"("n_heads":1,"n_kv_heads":1,"vocab_size":300,"max_seq_len":8,"norm_eps":1e-5,"rope_theta":10000,)"
            R"("tied":true,"vocabulary":3})",
            "t.json");
        QVERIFY(!bad.ok());
        QVERIFY2(bad.message().find("'vocabulary'") != std::string::npos, bad.message().c_str());
    }

    // One rule for every search: ../shared/models beside the current folder or above the
    // executable's folder, then $KVSCOPE_MODEL_PATH; existing folders only, each once.
    void searchFolders() {
        QTemporaryDir tmp;
        QDir(tmp.path()).mkpath("checkout/build/app");
        QDir(tmp.path()).mkpath("shared/models");
        QDir(tmp.path()).mkpath("extra");
        const std::string shared = QDir(tmp.filePath("shared/models")).canonicalPath().toStdString();
        const std::string extra = QDir(tmp.filePath("extra")).canonicalPath().toStdString();
        const auto dirs = model_search_dirs(tmp.filePath("checkout").toStdString(),
                                            tmp.filePath("checkout/build/app").toStdString(),
                                            extra + ":" + shared + "::/nonexistent");
        QCOMPARE(dirs, (std::vector<std::string>{shared, extra}));
        QCOMPARE(model_search_dirs({}, {}, {}), std::vector<std::string>{});
    }
};

QTEST_APPLESS_MAIN(TestSyntheticVocabulary)
#include "test_synthetic_vocabulary.moc"
