// makemore-names, a real Hugging Face GPT-2 folder: config, known greedy name, the mean
// negative log-likelihood over held-out names, and the command line on the folder.
#include <QtTest>

#include <cmath>
#include <fstream>

#include "cli_runner.h"
#include "core/backend.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

class TestHfMakemore : public QObject {
    Q_OBJECT
    std::shared_ptr<const Model> model_;

    std::unique_ptr<Backend> cpu() {
        auto b = create_backend("cpu", model_, BackendOptions{}, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::makemore_dir());
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void configAndTokenizerFollowTheFolder() {
        const ModelConfig& c = model_->config;
        QCOMPARE(model_->format, std::string("hf"));
        QCOMPARE(c.arch, Architecture::Gpt2);
        QCOMPARE(c.n_layers, 4);
        QCOMPARE(c.n_heads, 4);
        QCOMPARE(c.dim, 64);
        QCOMPARE(c.hidden_dim, 256);
        QCOMPARE(c.max_seq_len, 16);
        QCOMPARE(c.vocab_size, 27);
        QCOMPARE(c.tied_classifier, false);
        QCOMPARE(c.norm_eps, 1e-5f);
        QCOMPARE(model_->weights.source_dtype, std::string("F32"));
        QCOMPARE(model_->tokenizer->vocab_size(), 27);
        QCOMPARE(model_->tokenizer->bos_id, 0);
        QCOMPARE(model_->tokenizer->eos_id, 0);
        QCOMPARE(model_->tokenizer->add_bos, false);
        QCOMPARE(model_->stop_tokens, std::vector<int>{0});
        // One token per character; text is not prefixed, an empty prompt starts from '.'.
        QCOMPARE(model_->tokenizer->encode("emma"), (std::vector<int>{5, 13, 13, 1}));
        QCOMPARE(model_->tokenizer->encode_prompt("emma"), (std::vector<int>{5, 13, 13, 1}));
        QCOMPARE(model_->tokenizer->encode_prompt(""), std::vector<int>{0});
        QCOMPARE(model_->tokenizer->decode(std::vector<int>{1, 12, 5, 24, 9, 1}), std::string("alexia"));
    }

    void greedyFromTheStartTokenSpellsAlexia() {
        GenerationSession s(model_, cpu(), SessionOptions{});
        QVERIFY(s.start("").ok());
        QVERIFY(s.run(15).ok());
        QCOMPARE(s.tokens(), (std::vector<int>{0, 1, 12, 5, 24, 9, 1, 0}));
        QCOMPARE(s.stop_reason(), std::string("eos"));
    }

    // Every 64th name of names.txt: inputs '.' + name, targets name + '.'; the mean over all
    // predicted tokens of -log p(target).
    void meanNllOverHeldOutNamesMatchesTraining() {
        std::ifstream f(test::shared_path("models/makemore-names/names.txt"));
        QVERIFY(f.good());
        auto backend = cpu();
        double total = 0.0;
        int tokens = 0, names = 0, line_no = 0;
        for (std::string name; std::getline(f, name); ++line_no) {
            if (line_no % 64 != 0 || name.empty()) continue;
            std::vector<int> ids{0};
            for (char ch : name) ids.push_back(ch - 'a' + 1);
            std::vector<int> targets(ids.begin() + 1, ids.end());
            targets.push_back(0);
            backend->truncate_cache(0);
            ForwardOutput out;
            QVERIFY(backend->forward(ids, 0, true, AttentionCapture{}, out).ok());
            QCOMPARE(out.logit_rows, int(ids.size()));
            for (std::size_t t = 0; t < ids.size(); ++t) {
                const float* row = out.logits.data() + t * 27;
                const float max = *std::max_element(row, row + 27);
                double sum = 0.0;
                for (int v = 0; v < 27; ++v) sum += std::exp(double(row[v] - max));
                total += -(double(row[targets[t]] - max) - std::log(sum));
                ++tokens;
            }
            ++names;
        }
        QVERIFY(names > 400);
        const double nll = total / tokens;
        qInfo("mean NLL over %d names (%d tokens): %.5f nats/token", names, tokens, nll);
        QVERIFY2(std::fabs(nll - 1.9229) <= 0.0005, qPrintable(QString::number(nll, 'f', 5)));
        QVERIFY(nll < std::log(27.0) - 1.0);  // far from uniform (3.2958)
    }

    void cliGeneratesTheKnownNameFromTheFolder() {
        const QString dir = QString::fromStdString(test::makemore_dir());
        auto ids = test::run_cli({"generate", "--model", dir, "--prompt", "", "--temperature", "0", "--ids"});
        QCOMPARE(ids.exit_code, 0);
        QCOMPARE(ids.out.trimmed(), QString("0 1 12 5 24 9 1 0"));
        auto text = test::run_cli({"generate", "--model", dir, "--prompt", "", "--temperature", "0"});
        QCOMPARE(text.exit_code, 0);
        QCOMPARE(text.out, QString(".alexia\n"));
    }

    void cliInfoDescribesTheFolder() {
        auto r = test::run_cli({"info", "--model", QString::fromStdString(test::makemore_dir())});
        QCOMPARE(r.exit_code, 0);
        for (const char* line : {"architecture               gpt2", "format                     hf",
                                 "n_layers                   4", "vocab_size                 27",
                                 "parameters                 204544", "weights_dtype              F32"})
            QVERIFY2(r.out.contains(line), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestHfMakemore)
#include "test_hf_makemore.moc"
