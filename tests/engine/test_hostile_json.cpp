// Hostile JSON in model folders (tokenizer.json, config.json, safetensors headers, event lines):
// a field of the wrong type, JSON nested a million levels deep, and the SentencePiece-style
// tokenizer.json layout with a Metaspace pre-tokenizer and no Prepend normalizer. Each gives a
// value (a tokenizer, or an error naming the file, the key and the value as read), never an
// exception, a stack overflow or a read of freed memory. Inputs: tests/data/hostile (see its
// README.md); the deeply nested files are written by the test (a million brackets).
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "model/hf_config.h"
#include "model/hf_tokenizer.h"
#include "model/model.h"
#include "model/safetensors_reader.h"
#include "session/event_json.h"
#include "test_paths.h"

using namespace kvs;
namespace fs = std::filesystem;

namespace {

fs::path hostile(const std::string& rel) { return fs::path(KVSCOPE_TEST_DATA_DIR) / "hostile" / rel; }

void write_all(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << bytes;
}

// A JSON value nested `depth` arrays deep: [[[...]]].
std::string deep_array(int depth) { return std::string(std::size_t(depth), '[') + std::string(std::size_t(depth), ']'); }

constexpr int kDeep = 1000000;

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

#define EXPECT_FRAGMENTS(message, ...)                                                                         \
    do {                                                                                                       \
        const std::string msg_ = (message);                                                                    \
        for (const std::string& f_ : std::initializer_list<std::string>{__VA_ARGS__})                          \
            QVERIFY2(contains(msg_, f_), qPrintable(QString("'%1' not in: %2").arg(QString::fromStdString(f_), \
                                                                                 QString::fromStdString(msg_)))); \
    } while (0)

}  // namespace

class TestHostileJson : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    int made_ = 0;

    fs::path fresh_dir() {
        const fs::path dir = tmp_.filePath(QString("d%1").arg(made_++)).toStdString();
        fs::create_directories(dir);
        return dir;
    }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    // SentencePiece-style tokenizer.json of newer Llama/Mistral conversions: the dummy prefix is
    // the Metaspace pre-tokenizer's prepend_scheme, and there is no Prepend normalizer. Expected
    // ids worked out by hand from the vocabulary: "hi" with the prefix is "▁hi" (merges "▁ h"
    // then "▁h i"), id 7; without it "h" "i" (4, 5); BOS <s> = 1 from the post-processor.
    void metaspaceWithoutPrependNormalizer_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QList<int>>("ids");
        QTest::newRow("prepend_scheme first") << "tokenizer-metaspace-first" << QList<int>{1, 7};
        QTest::newRow("prepend_scheme never") << "tokenizer-metaspace-never" << QList<int>{1, 4, 5};
        QTest::newRow("add_prefix_space true") << "tokenizer-metaspace-legacy" << QList<int>{1, 7};
    }
    void metaspaceWithoutPrependNormalizer() {
        QFETCH(QString, folder);
        QFETCH(QList<int>, ids);
        auto tok = load_hf_tokenizer(hostile(folder.toStdString()).string(), {});
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.message().c_str());
        const std::vector<int> got = (*tok)->encode_prompt("hi");
        QCOMPARE(QList<int>(got.begin(), got.end()), ids);
    }

    // Each file has one field of the wrong type; the error names the key and the value as read.
    void wrongTypeField_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("fragments");
        QTest::newRow("pre_tokenizer type 7") << "pre-tokenizer-type-number" << QStringList{"pre_tokenizer", "'type'", "7"};
        QTest::newRow("decoders[0] type array") << "decoder-list-type-array" << QStringList{"decoder", "'type'", "[\"Metaspace\"]"};
        QTest::newRow("byte_fallback string") << "byte-fallback-string" << QStringList{"'byte_fallback'", "\"yes\""};
        QTest::newRow("model type 3") << "model-type-number" << QStringList{"model", "'type'", "3"};
        QTest::newRow("added special 1") << "added-special-number" << QStringList{"added_tokens", "'special'", "1"};
        QTest::newRow("template id 5") << "template-id-number" << QStringList{"post_processor", "'id'", "5"};
        QTest::newRow("template SpecialToken string") << "template-special-token-string"
                                                      << QStringList{"post_processor", "'SpecialToken'", "\"<s>\""};
        QTest::newRow("prepend_scheme true") << "prepend-scheme-bool" << QStringList{"'prepend_scheme'", "true"};
        QTest::newRow("add_prefix_space string") << "add-prefix-space-string" << QStringList{"'add_prefix_space'", "\"yes\""};
        QTest::newRow("prepend 5") << "prepend-number" << QStringList{"normalizer", "'prepend'", "5"};
        QTest::newRow("unk_token 5") << "unk-token-number" << QStringList{"'unk_token'", "5"};
    }
    void wrongTypeField() {
        QFETCH(QString, file);
        QFETCH(QStringList, fragments);
        const fs::path dir = fresh_dir();
        fs::copy_file(hostile("tokenizer-wrong-type/" + file.toStdString() + ".json"), dir / "tokenizer.json");
        auto tok = load_hf_tokenizer(dir.string(), {});
        QVERIFY2(!tok.ok(), "a tokenizer.json with a wrongly typed field loaded");
        EXPECT_FRAGMENTS(tok.message(), (dir / "tokenizer.json").string());
        for (const QString& f : fragments) EXPECT_FRAGMENTS(tok.message(), f.toStdString());
    }

    // The same through the command line: exit status 1 and the message, not an abort (134).
    void wrongTypeFieldThroughCli() {
        const fs::path dir = fresh_dir();
        fs::create_symlink(fs::path(test::makemore_dir()) / "config.json", dir / "config.json");
        fs::create_symlink(fs::path(test::makemore_dir()) / "model.safetensors", dir / "model.safetensors");
        fs::copy_file(hostile("makemore-tokenizer-wrong-type/tokenizer.json"), dir / "tokenizer.json");
        const auto r = test::run_cli({"generate", "--model", QString::fromStdString(dir.string()), "-n", "3"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.startsWith("kvscope-cli generate: "), qPrintable(r.err));
        QVERIFY2(r.err.contains("pre_tokenizer") && r.err.contains("'type'"), qPrintable(r.err));
    }

    // JSON a million levels deep: nlohmann parses it without recursion, but copies and dump()
    // recurse. Depth is bounded before any value is used.
    void deeplyNestedConfig() {
        const fs::path dir = fresh_dir();
        write_all(dir / "config.json", "{\"model_type\": \"gpt2\", \"n_layer\": " + deep_array(kDeep) + "}");
        auto cfg = read_hf_config(dir.string());
        QVERIFY(!cfg.ok());
        EXPECT_FRAGMENTS(cfg.message(), "config.json", "nested more than 64 levels", "at byte 97");
    }
    void deeplyNestedTokenizer_data() {
        QTest::addColumn<QString>("json");
        QTest::newRow("added_tokens") << QString::fromStdString("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}, "
                                                                "\"added_tokens\": [" + deep_array(kDeep) + "]}");
        QTest::newRow("pre_tokenizer") << QString::fromStdString("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}, "
                                                                 "\"pre_tokenizer\": " + deep_array(kDeep) + "}");
    }
    void deeplyNestedTokenizer() {
        QFETCH(QString, json);
        const fs::path dir = fresh_dir();
        write_all(dir / "tokenizer.json", json.toStdString());
        auto tok = load_hf_tokenizer(dir.string(), {});
        QVERIFY(!tok.ok());
        EXPECT_FRAGMENTS(tok.message(), "tokenizer.json", "nested more than");
    }
    void deeplyNestedSafetensorsHeader() {
        const fs::path dir = fresh_dir();
        const std::string header = "{\"t\": " + deep_array(kDeep) + "}";
        std::string bytes(8, '\0');
        const std::uint64_t n = header.size();
        std::memcpy(bytes.data(), &n, 8);
        write_all(dir / "model.safetensors", bytes + header);
        auto f = SafetensorsFile::open((dir / "model.safetensors").string());
        QVERIFY(!f.ok());
        EXPECT_FRAGMENTS(f.message(), "model.safetensors", "nested more than");
    }
    void deeplyNestedEventLine() {
        auto e = parse_event_line("{\"type\": \"run_finished\", \"schema\": 2, \"steps\": " + deep_array(kDeep) + "}");
        QVERIFY(!e.ok());
        EXPECT_FRAGMENTS(e.message(), "nested more than");
    }
    // Numbers of the wrong kind or beyond the field's type in trace files (the first found by
    // fuzz_event_files: an integer literal beyond 64 bits, which nlohmann reads as a double,
    // converted to int: undefined behaviour). Each line is an error naming the key.
    void eventNumbersOutOfRange_data() {
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("key");
        QTest::newRow("step beyond 64 bits") << 0 << "'step'";
        QTest::newRow("step beyond int") << 1 << "'step'";
        QTest::newRow("step 1.5") << 2 << "'step'";
        QTest::newRow("token 6e40") << 3 << "'input_tokens'";
        QTest::newRow("flops 1e400") << 4 << "not valid JSON";  // nlohmann refuses the literal itself
        QTest::newRow("probability 1e39") << 5 << "'probs'";
    }
    void eventNumbersOutOfRange() {
        QFETCH(int, line);
        QFETCH(QString, key);
        std::ifstream f(fs::path(KVSCOPE_TEST_DATA_DIR) / "fuzz" / "event_files" / "numbers-out-of-range.jsonl");
        std::string text;
        for (int i = 0; i <= line; ++i) QVERIFY(std::getline(f, text));
        auto e = parse_event_line(text);
        QVERIFY2(!e.ok(), "an out-of-range number was read");
        EXPECT_FRAGMENTS(e.message(), key.toStdString());
    }

    // Nesting that real files use stays readable.
    void modestNestingStillReads() {
        auto e = parse_event_line("{\"type\": \"run_finished\", \"schema\": 2, \"steps\": 3, \"generated_tokens\": 2, "
                                  "\"stop_reason\": \"eos\", \"wall_ms\": 1.5, \"sequences\": [], \"extra\": " +
                                  deep_array(40) + "}");
        QVERIFY2(e.ok(), e.ok() ? "" : e.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestHostileJson)
#include "test_hostile_json.moc"
