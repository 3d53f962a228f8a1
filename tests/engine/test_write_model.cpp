// Models written by kvscope (model/llama2c_writer.h, model/gguf_model_writer.h, `kvscope-cli
// write-model`) and read back: a llama2.c checkpoint of stories260K gives its known greedy text,
// a synthetic model written as llama2.c computes exactly what the synthetic model computes, and
// a 256-wide synthetic model in Q4_K, Q6_K, Q8_0 and Q4_0 loads with its matrices in place in
// that type and generates what the same values decoded to F32 give.
#include <QtTest>

#include "cli_runner.h"
#include "core/backend.h"
#include "lockstep.h"
#include "model/llama2c_writer.h"
#include "quant_model_cases.h"
#include "test_paths.h"

using namespace kvs;

namespace {

std::unique_ptr<Backend> cpu(std::shared_ptr<const Model> m) {
    auto b = create_backend("cpu", std::move(m), BackendOptions{}, nullptr);
    if (!b.ok()) qFatal("%s", b.message().c_str());
    return std::move(b).value();
}

}  // namespace

class TestWriteModel : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

private slots:
    void llama2cRoundTripOfStories260k() {
        auto original = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY(original.ok());
        QVERIFY(write_llama2c_checkpoint(**original, path("s.bin")).ok());
        QVERIFY(write_llama2c_tokenizer(**original, path("tok.bin")).ok());
        // The same bytes as the original files: the format is written exactly as run.c reads it.
        QCOMPARE(QFileInfo(dir_.filePath("s.bin")).size(), QFileInfo(QString::fromStdString(test::stories260k_bin())).size());
        auto back = load_model(path("s.bin"), {path("tok.bin")});
        QVERIFY2(back.ok(), back.ok() ? "" : back.message().c_str());
        QCOMPARE((*back)->weights.layers[3].w_down.to_f32(), (*original)->weights.layers[3].w_down.to_f32());
        QCOMPARE((*back)->tokenizer->encode_prompt(test::kStoriesPrompt), (std::vector<int>{1, 403, 407, 261, 378}));
        const std::vector<int> known(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));
        auto a = cpu(*back), b = cpu(*original);
        const auto r = test::greedy_lockstep(*a, *b, {known.begin(), known.begin() + 5}, 56, 512);
        QCOMPARE(r.ids, known);
        QCOMPARE(r.max_diff, 0.0f);
    }

    void syntheticAsLlama2cComputesTheSame() {
        auto synthetic = make_synthetic_model(test::quant_test_config(), "synthetic:quant-test", 5);
        QVERIFY(synthetic.ok());
        QVERIFY(write_llama2c_checkpoint(**synthetic, path("q.bin")).ok());
        QVERIFY(write_llama2c_tokenizer(**synthetic, path("q-tok.bin")).ok());
        auto back = load_model(path("q.bin"), {path("q-tok.bin")});
        QVERIFY2(back.ok(), back.ok() ? "" : back.message().c_str());
        // The byte pieces read as the byte tokenizer's ids (byte b is id 3 + b).
        QCOMPARE((*back)->tokenizer->decode(std::vector<int>{3 + 'H', 3 + 'i'}), std::string("Hi"));
        auto a = cpu(*back), b = cpu(*synthetic);
        const auto r = test::greedy_lockstep(*a, *b, {3 + 'H', 3 + 'i'}, 12, 300);
        QCOMPARE(r.ids, r.ids_b);
        QCOMPARE(r.max_diff, 0.0f);  // the same F32 values in the same order
    }

    void blockTypesLoadInPlaceAndGenerate() {
        auto synthetic = make_synthetic_model(test::quant_test_config(), "synthetic:quant-test", 5);
        QVERIFY(synthetic.ok());
        const struct {
            GgmlType ggml;
            WeightType type;
            const char* file;
        } cases[] = {{GgmlType::Q4_K, WeightType::Q4_K, "q4k.gguf"}, {GgmlType::Q6_K, WeightType::Q6_K, "q6k.gguf"},
                     {GgmlType::Q8_0, WeightType::Q8_0, "q8.gguf"}, {GgmlType::Q4_0, WeightType::Q4_0, "q4.gguf"}};
        for (const auto& c : cases) {
            const auto q = test::written_and_loaded(**synthetic, c.ggml, path(c.file));
            for (const Tensor* t : {&q->weights.layers[1].wq, &q->weights.layers[0].w_down, &q->weights.classifier}) {
                QCOMPARE(int(t->storage_type()), int(c.type));
                QVERIFY(t->stored != nullptr && t->data.empty());
                QCOMPARE(t->storage_bytes(), t->rows * row_bytes(c.type, t->cols));
            }
            // The block kernels against Eigen on the same values decoded to F32: a prefill of 6
            // (decoded panels) and 10 decode steps (row dots), logits of magnitude ~1.
            auto a = cpu(q), b = cpu(test::decoded_copy(*q));
            const auto r = test::greedy_lockstep(*a, *b, {3 + 'O', 3 + 'n', 3 + 'c', 3 + 'e', 3 + ' ', 3 + 'u'}, 10, 300);
            qInfo("%s: max |logit diff| %g (logit rms %g)", to_string(c.type), double(r.max_diff), double(r.logit_rms));
            QCOMPARE(r.ids, r.ids_b);
            QVERIFY(r.max_diff <= 1e-4f * std::max(1.0f, r.logit_rms));
        }
    }

    void cliWritesAndRunsBothFormats() {
        auto w = test::run_cli({"write-model", "--synthetic", "stories260k", "--format", "llama2c", "--out",
                                QString::fromStdString(path("cli.bin"))});
        QVERIFY2(w.exit_code == 0, qPrintable(w.err));
        QVERIFY(QFileInfo::exists(dir_.filePath("tokenizer.bin")));
        auto g = test::run_cli({"generate", "--model", QString::fromStdString(path("cli.bin")), "--prompt", "Hi", "-n", "4",
                                "--temperature", "0", "--threads", "2"});
        QVERIFY2(g.exit_code == 0, qPrintable(g.err));
        auto q = test::run_cli({"write-model", "--synthetic", "stories260k", "--type", "q8_0", "--out",
                                QString::fromStdString(path("cli.gguf"))});
        QVERIFY2(q.exit_code == 0, qPrintable(q.err));
        auto info = test::run_cli({"info", "--model", QString::fromStdString(path("cli.gguf")), "--json"});
        QVERIFY2(info.exit_code == 0, qPrintable(info.err));
        QVERIFY(info.out.contains("\"weights_dtype\": \"Q8_0\""));
        auto bad = test::run_cli({"write-model", "--synthetic", "stories260k", "--format", "llama2c", "--type", "q4_0",
                                  "--out", QString::fromStdString(path("x.bin"))});
        QCOMPARE(bad.exit_code, 1);
        QVERIFY(bad.err.contains("llama2.c checkpoints are F32"));
    }
};

QTEST_APPLESS_MAIN(TestWriteModel)
#include "test_write_model.moc"
