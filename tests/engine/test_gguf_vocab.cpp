// llama.cpp's tokenizer test vectors: for each of the ten vocabularies, every string of the .inp
// file must encode to the ids on the matching line of the .out file, and decode back to itself.
#include <QtTest>

#include <fstream>
#include <sstream>

#include "model/byte_level_bpe.h"
#include "model/gguf_reader.h"
#include "model/gguf_tokenizer.h"
#include "test_paths.h"
#include "vocab_fixture.h"

namespace {

struct VocabCase {
    std::string text;
    std::vector<int> ids;
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The .inp file is each string followed by "\n__ggml_vocab_test__\n" (so a string may itself
// start or end with newlines); the .out file has one line of space-separated ids per string.
std::vector<VocabCase> read_cases(const std::string& base) {
    const std::string inp = read_all(base + ".inp");
    const std::string out = read_all(base + ".out");
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<VocabCase> cases;
    for (std::size_t pos = 0; pos < inp.size();) {
        const std::size_t hit = inp.find(sep, pos);
        if (hit == std::string::npos) break;
        cases.push_back({inp.substr(pos, hit - pos), {}});
        pos = hit + sep.size();
    }
    std::istringstream lines(out);
    std::string line;
    for (std::size_t i = 0; i < cases.size() && std::getline(lines, line); ++i) {
        std::istringstream ids(line);
        int id;
        while (ids >> id) cases[i].ids.push_back(id);
    }
    return cases;
}

QString ids_text(const std::vector<int>& ids) {
    QStringList parts;
    for (int id : ids) parts << QString::number(id);
    return "[" + parts.join(' ') + "]";
}

QString escaped(const std::string& s) {
    QString q = QString::fromUtf8(s.data(), qsizetype(s.size()));
    q.replace("\n", "\\n").replace("\t", "\\t");
    return "\"" + q + "\"";
}

// Checks every case; fails naming the first mismatch and how many there were.
void check_vocab(const std::string& shared_gguf, int expected_cases) {
    QTemporaryDir dir;
    std::string note;
    auto gguf = kvs::test::usable_vocab_gguf(shared_gguf, dir.path().toStdString(), note);
    QVERIFY2(gguf.ok(), gguf.ok() ? "" : gguf.message().c_str());
    qInfo("%s", note.c_str());
    auto tok = kvs::load_gguf_tokenizer(*gguf);
    QVERIFY2(tok.ok(), tok.ok() ? "" : tok.message().c_str());
    const auto cases = read_cases(shared_gguf);
    QCOMPARE(int(cases.size()), expected_cases);
    int encode_failures = 0, decode_failures = 0;
    QString first;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const std::vector<int> got = (*tok)->encode(c.text);
        if (got != c.ids) {
            if (encode_failures + decode_failures == 0)
                first = QString("case %1 %2 encodes to %3, expected %4")
                            .arg(i).arg(escaped(c.text), ids_text(got), ids_text(c.ids));
            ++encode_failures;
            continue;
        }
        const std::string back = (*tok)->decode(got);
        if (back != c.text) {
            if (encode_failures + decode_failures == 0)
                first = QString("case %1 %2 (ids %3) decodes to %4").arg(i).arg(escaped(c.text), ids_text(got),
                                                                          escaped(back));
            ++decode_failures;
        }
    }
    const QString summary = QString("%1 encode and %2 decode mismatches of %3; first: %4")
                                .arg(encode_failures).arg(decode_failures).arg(cases.size()).arg(first);
    QVERIFY2(encode_failures == 0 && decode_failures == 0, qPrintable(summary));
}

kvs::Result<std::unique_ptr<kvs::Tokenizer>> load(const std::string& name, const QTemporaryDir& dir) {
    std::string note;
    auto gguf = kvs::test::usable_vocab_gguf(kvs::test::shared_path("models/gguf-vocab/" + name),
                                            dir.path().toStdString(), note);
    if (!gguf.ok()) return gguf.error();
    return kvs::load_gguf_tokenizer(*gguf);
}

}  // namespace

class TestGgufVocab : public QObject {
    Q_OBJECT

private slots:
    // Every vocabulary of llama.cpp's test set, each with the pre-tokenizer its file names
    // (tokenizer.ggml.pre): SentencePiece (llama-spm, phi-3) and byte-level BPE with seven
    // different patterns. gpt-neox ships no test strings; its vocabulary must still load.
    void allVocabularies_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("cases");
        for (const char* name : {"llama-spm", "phi-3", "gpt-2", "mpt", "falcon", "starcoder", "refact", "deepseek-coder",
                                 "deepseek-llm"})
            QTest::newRow(name) << QString(name) << 46;
        QTest::newRow("gpt-neox") << QString("gpt-neox") << 0;
    }
    void allVocabularies() {
        QFETCH(QString, name);
        QFETCH(int, cases);
        check_vocab(kvs::test::shared_path("models/gguf-vocab/ggml-vocab-" + name.toStdString() + ".gguf"), cases);
    }

    void llamaSpecialTokensAndLabels() {
        QTemporaryDir dir;
        auto tok = load("ggml-vocab-llama-spm.gguf", dir);
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.message().c_str());
        const kvs::Tokenizer& t = **tok;
        QCOMPARE(t.vocab_size(), 32000);
        QCOMPARE(t.bos_id, 1);
        QCOMPARE(t.eos_id, 2);
        QVERIFY(t.add_bos);
        QCOMPARE(QString::fromStdString(t.token_label(1)), QString("<s>"));
        QCOMPARE(QString::fromStdString(t.token_label(13)), QString("<0x0A>"));
        QCOMPARE(QString::fromStdString(t.decode_piece(29871, 13)), QString("\n"));
        QCOMPARE(QString::fromStdString(t.decode_piece(5, 1)), QString());  // control tokens have no text
        // The prompt form prepends BOS; the first word keeps its dummy-prefix space only after
        // a token other than BOS.
        const auto ids = t.encode_prompt("Hello world");
        QCOMPARE(ids.front(), 1);
        QCOMPARE(t.decode(std::vector<int>(ids.begin() + 1, ids.end())), std::string("Hello world"));
        QCOMPARE(t.decode_piece(13, ids[1]), std::string(" Hello"));
    }

    void gpt2PreTokenizerSplitsLikeGpt2() {
        const auto words = kvs::ByteLevelBpe::pre_tokenize("Hello, y'all!  It's 2024\n\n  ok");
        QStringList got;
        for (auto w : words) got << QString::fromUtf8(w.data(), qsizetype(w.size()));
        const QStringList expected{"Hello", ",", " y", "'", "all", "!", " ", " It", "'s", " 2024", "\n\n ", " ok"};
        QCOMPARE(got, expected);
    }

    void gpt2ControlTokenIsNotProducedFromText() {
        QTemporaryDir dir;
        auto tok = load("ggml-vocab-gpt-2.gguf", dir);
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.message().c_str());
        const kvs::Tokenizer& t = **tok;
        QCOMPARE(t.vocab_size(), 50257);
        QCOMPARE(t.eos_id, 50256);
        const auto ids = t.encode("<|endoftext|>");
        QVERIFY(ids.size() > 1);
        QVERIFY(std::find(ids.begin(), ids.end(), 50256) == ids.end());
        QCOMPARE(t.decode(ids), std::string("<|endoftext|>"));
        QCOMPARE(QString::fromStdString(t.token_label(50256)), QString("<|endoftext|>"));
    }
};

QTEST_APPLESS_MAIN(TestGgufVocab)
#include "test_gguf_vocab.moc"
