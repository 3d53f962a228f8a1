// Comparing two runs (docs/DEBUGGER.md "Comparing two runs"): a hand-built pair of tiny runs
// whose divergence and differences are worked out by hand; stories260K with and without the
// cache (the same known tokens); two sampling settings whose first differing token the test
// finds itself from two plain generation runs; and the CLI's text and JSON.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <cmath>

#include "cli_runner.h"
#include "core/backend.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "session/run_comparison.h"
#include "session/run_recorder.h"
#include "shared_models.h"
#include "test_paths.h"

using namespace kvs;

namespace {

RecordedStep step(int token, std::vector<float> logits) {
    RecordedStep s;
    s.token = token;
    s.label = "t" + std::to_string(token);
    s.logits = std::move(logits);
    s.top = {{token, 0.5f, s.label}};
    return s;
}

RecordedRun tiny_run(std::vector<RecordedStep> steps) {
    RecordedRun r;
    r.vocab_size = 3;
    r.prompt = {1};
    r.steps = std::move(steps);
    r.stop_reason = "limit";
    return r;
}

const std::vector<int> kKnown(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));

}  // namespace

class TestRunComparison : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;

    std::unique_ptr<Backend> cpu() {
        auto b = create_backend("cpu", model_, {}, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    }
    RecordedRun record(const SessionOptions& o, int n) {
        auto r = record_run(model_, cpu(), o, model_->tokenizer->encode_prompt(test::kStoriesPrompt), n);
        if (!r.ok()) qFatal("%s", r.message().c_str());
        return std::move(r).value();
    }

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(model_, test::load_stories260k());
    }

    // Vocabulary of 3. Step 0: equal logits. Step 1: A has p = (1/4, 1/4, 1/2) and chooses 2,
    // B has q = (1/2, 1/4, 1/4) and chooses 0: the divergence, max |a - b| = ln 2,
    // KL(p||q) = 1/4 ln(1/2) + 0 + 1/2 ln 2 = 1/4 ln 2, TV = (1/4 + 0 + 1/4) / 2 = 1/4.
    // Step 2 (after it): a = (1, 2, 3), b = (1, 2, 4): max 1, and KL 0.0969991, TV 0.1785538
    // computed by hand from the softmaxes (e^1, e^2, e^3)/sum and (e^1, e^2, e^4)/sum.
    void handBuiltPair() {
        const float ln2 = float(std::log(2.0));
        RecordedRun a = tiny_run({step(2, {0, 0, ln2}), step(2, {0, 0, ln2}), step(1, {1, 2, 3})});
        RecordedRun b = tiny_run({step(2, {0, 0, ln2}), step(0, {ln2, 0, 0}), step(1, {1, 2, 4}), step(0, {0, 0, 0})});
        auto c = compare_runs(a, b);
        QVERIFY2(c.ok(), c.ok() ? "" : c.message().c_str());
        QCOMPARE(c->common_steps, 3);
        QCOMPARE(c->first_divergence, 1);
        QCOMPARE(c->focus_step, 1);
        QCOMPARE(int(c->steps.size()), 3);
        QCOMPARE(c->steps[0].max_abs_logit, 0.0);
        QCOMPARE(c->steps[0].kl, 0.0);
        QCOMPARE(c->steps[0].total_variation, 0.0);
        QVERIFY(c->steps[0].same_context && c->steps[1].same_context && !c->steps[2].same_context);
        QCOMPARE(c->steps[1].position, 2);
        QCOMPARE(c->steps[1].token_a, 2);
        QCOMPARE(c->steps[1].token_b, 0);
        QVERIFY(std::fabs(c->steps[1].max_abs_logit - std::log(2.0)) < 1e-6);
        QVERIFY(std::fabs(c->steps[1].kl - 0.25 * std::log(2.0)) < 1e-6);
        QVERIFY(std::fabs(c->steps[1].total_variation - 0.25) < 1e-6);
        QVERIFY(std::fabs(c->steps[2].max_abs_logit - 1.0) < 1e-6);
        QVERIFY(std::fabs(c->steps[2].kl - 0.0969991) < 1e-6);
        QVERIFY(std::fabs(c->steps[2].total_variation - 0.1785538) < 1e-6);
        // Only steps from the same context count toward the "same tokens" maxima.
        QVERIFY(std::fabs(c->max_abs_logit_same_context - std::log(2.0)) < 1e-6);
        QCOMPARE(c->top_a.front().id, 2);
        QCOMPARE(c->top_b.front().id, 0);
        QCOMPARE(c->tokens_b, (std::vector<int>{2, 0, 1, 0}));
    }

    void refusesRunsThatCannotBeCompared() {
        RecordedRun a = tiny_run({step(2, {0, 0, 0})});
        RecordedRun b = a;
        b.prompt = {1, 5};
        auto c = compare_runs(a, b);
        QVERIFY(!c.ok());
        QVERIFY(QString::fromStdString(c.message()).contains("different prompts"));
        b = a;
        b.vocab_size = 4;
        b.steps[0].logits = {0, 0, 0, 0};
        c = compare_runs(a, b);
        QVERIFY(!c.ok());
        QVERIFY(QString::fromStdString(c.message()).contains("vocabularies of 3 and 4"));
    }

    // Without the cache every step recomputes the whole sequence from an empty cache: the same
    // known greedy ids, logits equal within the documented 1e-4.
    void cacheAgainstNoCache() {
        SessionOptions cached, uncached;
        uncached.use_cache = false;
        const RecordedRun a = record(cached, 56), b = record(uncached, 56);
        QVERIFY(b.description.find("no cache") != std::string::npos);
        auto c = compare_runs(a, b);
        QVERIFY(c.ok());
        QCOMPARE(c->first_divergence, -1);
        QCOMPARE(c->common_steps, 56);
        std::vector<int> whole = c->prompt;
        whole.insert(whole.end(), c->tokens_b.begin(), c->tokens_b.end());
        QCOMPARE(whole, kKnown);
        QVERIFY2(c->max_abs_logit_same_context < 1e-4, std::to_string(c->max_abs_logit_same_context).c_str());
        for (const StepDifference& d : c->steps) QVERIFY(d.same_context && d.kl < 1e-8);
    }

    // Greedy against temperature 1 (seed 7): the first step whose tokens differ is found here
    // from two plain generation runs, without the recorder or the comparison.
    void twoSamplingSettings() {
        SessionOptions greedy, sampled;
        sampled.sampling.temperature = 1.0f;
        sampled.sampling.top_p = 1.0f;
        sampled.sampling.seed = 7;
        auto plain = [&](const SessionOptions& o) {
            GenerationSession s(model_, cpu(), o);
            if (!s.start(test::kStoriesPrompt).ok() || !s.run(40).ok()) qFatal("generation failed");
            return s.tokens();
        };
        const std::vector<int> ta = plain(greedy), tb = plain(sampled);
        const int prompt = int(model_->tokenizer->encode_prompt(test::kStoriesPrompt).size());
        int expected = -1;
        for (int k = prompt; k < int(std::min(ta.size(), tb.size())); ++k)
            if (ta[std::size_t(k)] != tb[std::size_t(k)]) {
                expected = k - prompt;
                break;
            }
        QVERIFY2(expected >= 0, "the two settings should give different texts");

        auto c = compare_runs(record(greedy, 40), record(sampled, 40));
        QVERIFY(c.ok());
        QCOMPARE(c->first_divergence, expected);
        const StepDifference& d = c->steps[std::size_t(expected)];
        QCOMPARE(d.token_a, ta[std::size_t(prompt + expected)]);
        QCOMPARE(d.token_b, tb[std::size_t(prompt + expected)]);
        // Up to the divergence both ran the same model on the same tokens: the logits agree, and
        // only the sampler chose differently.
        QVERIFY2(c->max_abs_logit_same_context < 1e-4, std::to_string(c->max_abs_logit_same_context).c_str());
        QCOMPARE(c->focus_step, expected);
        QCOMPARE(c->top_a.front().id, ta[std::size_t(prompt + expected)]);  // greedy took the most likely
        QCOMPARE(c->filtered_a.size(), std::size_t(1));                      // greedy draws from one token
        QVERIFY(c->filtered_b.size() > 1);
    }

    void cliPrintsDivergenceAndJson() {
        const QStringList common{"compare", "--model", QString::fromStdString(test::stories260k_bin()), "--tokenizer",
                                 QString::fromStdString(test::stories260k_tokenizer()), "--prompt",
                                 test::kStoriesPrompt, "--temperature", "0", "-n", "30"};
        auto r = test::run_cli(common + QStringList{"--b-no-cache", "--quiet"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("no divergence: the runs chose the same tokens at all 30 common steps"), qPrintable(r.out));
        QVERIFY(r.out.contains("B: cpu, no cache, greedy"));

        r = test::run_cli(common + QStringList{"--b-temperature", "1", "--b-top-p", "1", "--b-seed", "7", "--json"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["a"].toObject()["temperature"].toDouble(), 0.0);
        QCOMPARE(j["b"].toObject()["temperature"].toDouble(), 1.0);
        QCOMPARE(j["steps"].toArray().size(), 30);
        const int div = j["first_divergence"].toInt();
        QVERIFY(div >= 0);
        const QJsonObject at = j["steps"].toArray()[div].toObject();
        QVERIFY(at["token_a"].toInt() != at["token_b"].toInt());
        QCOMPARE(j["top_a"].toArray().size(), 5);
        // Run A is the known greedy run.
        const QJsonArray ta = j["a"].toObject()["tokens"].toArray();
        for (int k = 0; k < ta.size(); ++k) QCOMPARE(ta[k].toInt(), kKnown[std::size_t(5 + k)]);

        r = test::run_cli(common + QStringList{"--b-model", "/nonexistent.bin", "--quiet"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("run B"), qPrintable(r.err));
    }

    // Two models sharing a tokenizer: stories260K and its weights written as Q4_0 GGUF. The step
    // where their greedy texts part is found from two `generate --ids` runs.
    void cliComparesTwoModels() {
        QTemporaryDir dir;
        const QString q4 = dir.filePath("stories260K-q4_0.gguf");
        const QString bin = QString::fromStdString(test::stories260k_bin());
        const QString tok = QString::fromStdString(test::stories260k_tokenizer());
        auto r = test::run_cli({"write-model", "--model", bin, "--tokenizer", tok, "--type", "q4_0", "--out", q4});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        auto ids = [&](const QString& model) {
            auto g = test::run_cli({"generate", "--model", model, "--tokenizer", tok, "--prompt", test::kStoriesPrompt,
                                    "--temperature", "0", "-n", "56", "--ids", "--quiet"});
            return g.out.trimmed().split(' ');
        };
        const QStringList ia = ids(bin), ib = ids(q4);
        int expected = -1;
        for (int k = 5; k < std::min(ia.size(), ib.size()); ++k)
            if (ia[k] != ib[k]) {
                expected = k - 5;
                break;
            }
        QVERIFY2(expected >= 0, "Q4_0 weights should change the greedy text of stories260K within 56 tokens");
        r = test::run_cli({"compare", "--model", bin, "--tokenizer", tok, "--prompt", test::kStoriesPrompt,
                           "--temperature", "0", "-n", "56", "--b-model", q4, "--json", "--quiet"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["first_divergence"].toInt(), expected);
        QVERIFY(j["b"].toObject()["description"].toString().startsWith("stories260K-q4_0.gguf, cpu"));
        const QJsonObject at = j["steps"].toArray()[expected].toObject();
        QCOMPARE(at["token_a"].toInt(), ia[5 + expected].toInt());
        QCOMPARE(at["token_b"].toInt(), ib[5 + expected].toInt());
    }
};

QTEST_GUILESS_MAIN(TestRunComparison)
#include "test_run_comparison.moc"
