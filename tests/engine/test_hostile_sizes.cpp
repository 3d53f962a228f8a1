// Sizes read from headers are checked before anything is sized by them: layer counts against
// the layers the file has tensors for, the KV cache against a default capacity and available
// memory, the weights against available memory. Messages print the values as read (a tensor
// offset near 2^64 is not shown wrapped to a small number). Inputs: tests/data/hostile (see
// its README.md: tiny Llama GGUF files and a Llama safetensors checkpoint written by hand).
#include <QtTest>

#include <filesystem>

#include "cli_runner.h"
#include "core/backend.h"
#include "model/model.h"
#include "test_paths.h"

using namespace kvs;
namespace fs = std::filesystem;

namespace {

std::string hostile(const std::string& rel) { return (fs::path(KVSCOPE_TEST_DATA_DIR) / "hostile" / rel).string(); }
QString hostile_q(const std::string& rel) { return QString::fromStdString(hostile(rel)); }

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

#define EXPECT_FRAGMENTS(message, ...)                                                                         \
    do {                                                                                                       \
        const std::string msg_ = (message);                                                                    \
        for (const std::string& f_ : std::initializer_list<std::string>{__VA_ARGS__})                          \
            QVERIFY2(contains(msg_, f_), qPrintable(QString("'%1' not in: %2").arg(QString::fromStdString(f_), \
                                                                                 QString::fromStdString(msg_)))); \
    } while (0)

// A memory budget well below this machine's and any CI machine's memory, so that the outcome
// does not depend on where the test runs.
const test::CliEnvironment kEightGiB{{{"KVSCOPE_MEMORY_LIMIT", "8589934592"}}, {}};

// The tiny Llama of tests/data/hostile: dim 8, 2 heads of 4, 2 KV heads, 1 layer: K and V of
// one position in F32 are 2 x 1 x 2 x 4 x 4 = 64 bytes.
constexpr std::int64_t kTinyKvBytesPerToken = 64;

}  // namespace

class TestHostileSizes : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void tinyModelIsValid() {
        auto m = load_model(hostile("tiny-llama.gguf"));
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QCOMPARE((*m)->config.kv_bytes_per_token(4), kTinyKvBytesPerToken);
    }

    // block_count / num_hidden_layers / n_layer of 2^31 - 1 once sized per-layer structures
    // (std::bad_alloc, exit 134) before any tensor was looked at.
    void absurdLayerCountGguf() {
        auto m = load_model(hostile("block-count-max.gguf"));
        QVERIFY(!m.ok());
        EXPECT_FRAGMENTS(m.message(), "block-count-max.gguf", "block_count", "2147483647", "tensors for 1 layer");
    }
    void absurdLayerCountHfLlama() {
        auto m = load_model(hostile("hf-llama-layers-max"));
        QVERIFY(!m.ok());
        EXPECT_FRAGMENTS(m.message(), "num_hidden_layers", "2147483647", "tensors for 1 layer");
    }
    void absurdLayerCountHfGpt2() {
        const fs::path dir = fs::path(tmp_.path().toStdString()) / "gpt2-layers";
        fs::create_directories(dir);
        fs::copy_file(hostile("hf-gpt2-layers-max/config.json"), dir / "config.json");
        fs::create_symlink(fs::path(test::makemore_dir()) / "model.safetensors", dir / "model.safetensors");
        auto m = load_model(dir.string());
        QVERIFY(!m.ok());
        EXPECT_FRAGMENTS(m.message(), "n_layer", "2147483647", "tensors for 4 layers");
    }
    void absurdLayerCountThroughCli() {
        const auto r = test::run_cli({"generate", "--model", hostile_q("block-count-max.gguf"), "-n", "1"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.startsWith("kvscope-cli generate: ") && r.err.contains("2147483647"), qPrintable(r.err));
    }

    // A context length of 2^26 sized a 4 GiB cache for a 3-token run; 2^31 - 1 aborted. Without
    // --ctx the cache holds at most kDefaultMaxKvCapacity = 32768 positions.
    void hugeContextIsCappedByDefault_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("2^26") << "context-2e26.gguf";
        QTest::newRow("2^31 - 1") << "context-max.gguf";
    }
    void hugeContextIsCappedByDefault() {
        QFETCH(QString, file);
        auto m = load_model(hostile(file.toStdString()));
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QVERIFY((*m)->config.max_seq_len >= (1 << 26));
        auto b = create_backend("cpu", *m, {}, nullptr);
        QVERIFY2(b.ok(), b.ok() ? "" : b.message().c_str());
        QCOMPARE((*b)->kv_layout().capacity, 32768);

        const auto r = test::run_cli({"generate", "--model", hostile_q(file.toStdString()), "--prompt", "a b", "-n", "3",
                                      "--temperature", "0"},
                                     kEightGiB);
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("32768") && r.err.contains(QString::number((*m)->config.max_seq_len)), qPrintable(r.err));
    }
    // Asked for explicitly, a cache that does not fit is refused with its size in bytes.
    void hugeContextAskedForIsRefused() {
        const auto r = test::run_cli({"generate", "--model", hostile_q("context-max.gguf"), "--ctx", "2147483647", "-n",
                                      "1"},
                                     kEightGiB);
        QCOMPARE(r.exit_code, 1);
        // Blocks of 16 positions (the default block size): ceil((2^31 - 1) / 16) = 2^27 blocks,
        // 2^31 positions of 64 bytes = 137438953472 bytes.
        const std::string bytes = std::to_string((1LL << 31) * kTinyKvBytesPerToken);
        QVERIFY2(r.err.startsWith("kvscope-cli generate: ") && r.err.contains(QString::fromStdString(bytes)) &&
                     r.err.contains("--ctx"),
                 qPrintable(r.err));
    }

    // Weights that would need 10^12 bytes are refused with the number before any allocation.
    // Llama-2-7B has 6,738,415,616 parameters (published): 2 x 32000 x 4096 in the embedding and
    // classifier, 4096 in the final norm, so one layer holds (6738415616 - 262148096) / 32 =
    // 202383360. With 1235 layers: 262148096 + 1235 x 202383360 = 250205597696 parameters,
    // 1000822390784 bytes as F32.
    void weightsBeyondMemoryAreRefused() {
        const auto r = test::run_cli({"generate", "--synthetic", "llama-2-7b", "--layers", "1235", "-n", "1"}, kEightGiB);
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.startsWith("kvscope-cli generate: ") && r.err.contains("1000822390784"), qPrintable(r.err));
    }

    // The stored offset 0xFFFFFFFFFFFFFFE0 plus the data section start wraps to a small number;
    // the message shows the offset as stored.
    void wrappedTensorOffsetIsPrintedAsRead() {
        auto m = load_model(hostile("wrapped-offset.gguf"));
        QVERIFY(!m.ok());
        EXPECT_FRAGMENTS(m.message(), "output_norm.weight", "18446744073709551584");
    }
};

QTEST_GUILESS_MAIN(TestHostileSizes)
#include "test_hostile_sizes.moc"
