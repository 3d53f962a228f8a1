// Bad llama2.c input gets an error naming the file and what is wrong, never a crash.
#include <QtTest>
#include <QTemporaryDir>
#include <fstream>

#include "model/llama2c_loader.h"
#include "model/model.h"
#include "stories_checks.h"
#include "test_paths.h"

using namespace kvs;

namespace {
std::vector<char> read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& path, const std::vector<char>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}
}  // namespace

class TestLlama2cErrors : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::vector<char> good_;

    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }
    QString load_error(const std::string& file, const std::string& tokenizer) {
        auto m = load_model(file, {tokenizer});
        return m.ok() ? QString() : QString::fromStdString(m.message());
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        good_ = read_all(test::stories260k_bin());
        QVERIFY(good_.size() > 1000);
    }

    void loadsTheRealCheckpoint() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        const ModelConfig& c = (*m)->config;
        test::compare_stories260k_shape(c);
        if (QTest::currentTestFailed()) return;
        QVERIFY(c.tied_classifier);
        QCOMPARE((*m)->tokenizer->vocab_size(), 512);
    }

    void truncatedFile() {
        auto bytes = good_;
        bytes.resize(bytes.size() / 2);
        write_all(path("truncated.bin"), bytes);
        const QString e = load_error(path("truncated.bin"), test::stories260k_tokenizer());
        QVERIFY2(e.contains("truncated.bin") && e.contains("truncated") && e.contains(QString::number(bytes.size())),
                 qPrintable(e));
    }

    void shorterThanTheHeader() {
        write_all(path("tiny.bin"), {'a', 'b', 'c'});
        const QString e = load_error(path("tiny.bin"), test::stories260k_tokenizer());
        QVERIFY2(e.contains("tiny.bin") && e.contains("too short"), qPrintable(e));
    }

    void absurdDimensions() {
        auto bytes = good_;
        const std::int32_t huge = 1 << 30;
        std::memcpy(bytes.data(), &huge, 4);  // dim
        write_all(path("absurd.bin"), bytes);
        const QString e = load_error(path("absurd.bin"), test::stories260k_tokenizer());
        QVERIFY2(e.contains("absurd.bin") && e.contains("dim") && e.contains(QString::number(huge)), qPrintable(e));
    }

    void headsThatDoNotDivide() {
        auto bytes = good_;
        const std::int32_t heads = 3;
        std::memcpy(bytes.data() + 12, &heads, 4);  // n_heads
        write_all(path("heads.bin"), bytes);
        const QString e = load_error(path("heads.bin"), test::stories260k_tokenizer());
        QVERIFY2(e.contains("not a multiple of n_heads"), qPrintable(e));
    }

    void missingTokenizer() {
        auto bytes = good_;
        write_all(path("lonely.bin"), bytes);  // no tokenizer.bin beside it
        const QString e = load_error(path("lonely.bin"), "");
        QVERIFY2(e.contains("no tokenizer") && e.contains("--tokenizer"), qPrintable(e));
    }

    void tokenizerBesideTheModelIsFound() {
        QDir().mkpath(dir_.filePath("pair"));
        write_all(dir_.filePath("pair/model.bin").toStdString(), good_);
        write_all(dir_.filePath("pair/tokenizer.bin").toStdString(), read_all(test::stories260k_tokenizer()));
        auto m = load_model(dir_.filePath("pair/model.bin").toStdString(), {});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
    }

    void truncatedTokenizer() {
        auto tok = read_all(test::stories260k_tokenizer());
        tok.resize(tok.size() - 10);
        write_all(path("tok.bin"), tok);
        const QString e = load_error(test::stories260k_bin(), path("tok.bin"));
        QVERIFY2(e.contains("tok.bin") && e.contains("truncated at token"), qPrintable(e));
    }

    void tokenizerOfAnotherModel() {
        // The 32000-token Llama 2 vocabulary does not belong to a 512-token model.
        const QString e = load_error(test::stories260k_bin(), test::shared_path("models/llama2-tokenizer/tokenizer.bin"));
        QVERIFY2(e.contains("holds more than 512 tokens"), qPrintable(e));
    }

    void missingFile() {
        const QString e = load_error("/no/such/model.bin", "");
        QVERIFY2(e.contains("/no/such/model.bin") && e.contains("no such file"), qPrintable(e));
    }
};

QTEST_GUILESS_MAIN(TestLlama2cErrors)
#include "test_llama2c_errors.moc"
