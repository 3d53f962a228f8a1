// Broken Hugging Face folders: each defect gives an error that names the file and what is
// wrong, never a crash; the command line exits non-zero with the message on stderr.
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "hf_model_writer.h"
#include "model/model.h"
#include "safetensors_writer.h"
#include "test_paths.h"

using namespace kvs;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_all(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << bytes;
}

// Splits a safetensors file into its header and data, lets `edit` change the header, writes it back.
template <typename Edit>
void edit_header(const fs::path& file, Edit edit) {
    const std::string bytes = read_all(file);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    test::SafetensorsBlob blob{nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
    edit(blob.header);
    QVERIFY(test::write_safetensors(file.string(), blob).ok());
}

}  // namespace

class TestHfErrors : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> base_;
    QTemporaryDir tmp_;
    int made_ = 0;

    // A fresh, valid copy of makemore-names written as an HF folder.
    fs::path fresh(const test::HfWriteOptions& o = {}) {
        const fs::path dir = tmp_.filePath(QString("m%1").arg(made_++)).toStdString();
        const Status s = test::write_hf_gpt2(*base_, dir.string(), o);
        if (!s.ok()) qFatal("%s", s.message().c_str());
        return dir;
    }

    // Loads `dir`, which must fail with a message containing every fragment.
    void expect_error(const fs::path& dir, std::initializer_list<std::string> fragments) {
        auto m = load_model(dir.string());
        QVERIFY2(!m.ok(), "a broken folder loaded");
        for (const std::string& f : fragments)
            QVERIFY2(m.message().find(f) != std::string::npos,
                     qPrintable(QString("'%1' not in: %2").arg(QString::fromStdString(f), QString::fromStdString(m.message()))));
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::makemore_dir());
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        base_ = *m;
        QVERIFY(tmp_.isValid());
        QVERIFY(load_model(fresh().string()).ok());  // the unbroken folder loads
    }

    void truncatedSafetensors() {
        const fs::path dir = fresh();
        const fs::path file = dir / "model.safetensors";
        fs::resize_file(file, fs::file_size(file) / 2);
        expect_error(dir, {file.string(), "past the end of the data", "truncated"});
    }

    void fileShorterThanTheLengthField() {
        const fs::path dir = fresh();
        fs::resize_file(dir / "model.safetensors", 5);
        expect_error(dir, {(dir / "model.safetensors").string(), "is truncated: 5 bytes"});
    }

    void headerLengthPastTheEnd() {
        const fs::path dir = fresh();
        const fs::path file = dir / "model.safetensors";
        std::string bytes = read_all(file);
        const std::uint64_t huge = bytes.size() * 2;
        std::memcpy(bytes.data(), &huge, 8);
        write_all(file, bytes);
        expect_error(dir, {file.string(), "header length " + std::to_string(huge), "runs past the end of the file"});
    }

    void tensorDataOffsetsPastTheEnd() {
        const fs::path dir = fresh();
        const fs::path file = dir / "model.safetensors";
        edit_header(file, [](nlohmann::json& h) {
            auto& offsets = h["transformer.ln_f.weight"]["data_offsets"];
            offsets[1] = offsets[1].get<std::uint64_t>() + 1000000;
        });
        expect_error(dir, {file.string(), "tensor 'transformer.ln_f.weight' has data_offsets", "past the end"});
    }

    void dataOffsetsDisagreeWithShape() {
        const fs::path dir = fresh();
        edit_header(dir / "model.safetensors",
                    [](nlohmann::json& h) { h["transformer.ln_f.bias"]["shape"] = {32}; });
        expect_error(dir, {"tensor 'transformer.ln_f.bias'", "holding 256 bytes, but F32 [32] needs 128"});
    }

    void unknownDtype() {
        const fs::path dir = fresh();
        edit_header(dir / "model.safetensors", [](nlohmann::json& h) { h["transformer.wpe.weight"]["dtype"] = "F12"; });
        expect_error(dir, {(dir / "model.safetensors").string(), "tensor 'transformer.wpe.weight' has unknown dtype 'F12'"});
    }

    void dtypeThatIsNotAFloat() {
        const fs::path dir = fresh();
        edit_header(dir / "model.safetensors", [](nlohmann::json& h) { h["transformer.wpe.weight"]["dtype"] = "I32"; });
        expect_error(dir, {"tensor 'transformer.wpe.weight' has dtype I32, expected F32, F16 or BF16"});
    }

    void missingTensor() {
        test::HfWriteOptions o;
        o.omit_tensors = {"transformer.h.1.mlp.c_fc.bias"};
        expect_error(fresh(o), {"missing tensor 'transformer.h.1.mlp.c_fc.bias'", "mlp.c_fc bias [n_inner]"});
    }

    void wrongShape() {
        const fs::path dir = fresh();
        edit_header(dir / "model.safetensors",
                    [](nlohmann::json& h) { h["transformer.h.2.attn.c_proj.weight"]["shape"] = {32, 128}; });
        expect_error(dir, {(dir / "model.safetensors").string(), "tensor 'transformer.h.2.attn.c_proj.weight' has shape [32, 128], expected [64, 64]"});
    }

    void configDisagreesWithTheWeights() {
        const fs::path dir = fresh();
        auto cfg = nlohmann::json::parse(read_all(dir / "config.json"));
        cfg["n_positions"] = 32;
        write_all(dir / "config.json", cfg.dump());
        expect_error(dir, {"tensor 'transformer.wpe.weight' has shape [16, 64], expected [32, 64]"});
    }

    void missingConfig() {
        const fs::path dir = fresh();
        fs::remove(dir / "config.json");
        expect_error(dir, {dir.string(), "has no config.json"});
    }

    void unknownModelType() {
        const fs::path dir = fresh();
        auto cfg = nlohmann::json::parse(read_all(dir / "config.json"));
        cfg["model_type"] = "bert";
        write_all(dir / "config.json", cfg.dump());
        expect_error(dir, {(dir / "config.json").string(), "model_type 'bert' is not supported"});
    }

    void missingConfigKey() {
        const fs::path dir = fresh();
        auto cfg = nlohmann::json::parse(read_all(dir / "config.json"));
        cfg.erase("n_head");
        write_all(dir / "config.json", cfg.dump());
        expect_error(dir, {(dir / "config.json").string(), "missing key 'n_head'"});
    }

    void missingTokenizer() {
        const fs::path dir = fresh();
        fs::remove(dir / "vocab.json");
        fs::remove(dir / "merges.txt");
        expect_error(dir, {dir.string(), "has no tokenizer: expected tokenizer.json, vocab.json with merges.txt, or tokenizer.model"});
    }

    void vocabWithoutMerges() {
        const fs::path dir = fresh();
        fs::remove(dir / "merges.txt");
        expect_error(dir, {"has vocab.json but no merges.txt"});
    }

    void malformedConfigJsonNamesThePosition() {
        const fs::path dir = fresh();
        write_all(dir / "config.json", "{\n  \"model_type\": \"gpt2\",\n  \"n_layer\": 4,,\n}\n");
        expect_error(dir, {(dir / "config.json").string(), "malformed JSON at byte 41 (line 3, column 16)"});
    }

    void malformedTokenizerJson() {
        const fs::path dir = fresh();
        write_all(dir / "vocab.json", "{\".\": 0, \"a\": }");
        expect_error(dir, {(dir / "vocab.json").string(), "malformed JSON at byte 14 (line 1, column 15)"});
    }

    void malformedSafetensorsHeader() {
        const fs::path dir = fresh();
        const std::string header = "{\"x\": [1, 2";
        std::string bytes(8, '\0');
        const std::uint64_t n = header.size();
        std::memcpy(bytes.data(), &n, 8);
        write_all(dir / "model.safetensors", bytes + header);
        expect_error(dir, {(dir / "model.safetensors").string() + "' header: malformed JSON"});
    }

    void indexNamesAMissingShard() {
        test::HfWriteOptions o;
        o.shards = 2;
        const fs::path dir = fresh(o);
        fs::remove(dir / "model-00002-of-00002.safetensors");
        expect_error(dir, {(dir / "model.safetensors.index.json").string(),
                           "lists shard 'model-00002-of-00002.safetensors'", "no such file"});
    }

    void cliInfoExitsNonZeroWithTheMessage() {
        const fs::path dir = fresh();
        fs::remove(dir / "config.json");
        auto r = test::run_cli({"info", "--model", QString::fromStdString(dir.string())});
        QCOMPARE(r.exit_code, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains(QString::fromStdString(dir.string())) && r.err.contains("has no config.json"),
                 qPrintable(r.err));
    }

    void cliGenerateExitsNonZeroWithTheMessage() {
        const fs::path dir = fresh();
        fs::resize_file(dir / "model.safetensors", fs::file_size(dir / "model.safetensors") - 100);
        auto r = test::run_cli({"generate", "--model", QString::fromStdString(dir.string()), "--prompt", ""});
        QCOMPARE(r.exit_code, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains("model.safetensors") && r.err.contains("past the end"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestHfErrors)
#include "test_hf_errors.moc"
