// The logit lens (session/logit_lens.h) on stories260K and makemore: the last layer's
// distribution is the model's own output distribution (softmax, computed here, of the logits a
// plain forward pass returns), its most likely token is the known greedy continuation, and the
// debugger's lens of a step agrees with what that step recorded.
#include <QtTest>

#include <cmath>

#include "core/backend.h"
#include "model/model.h"
#include "session/debugger.h"
#include "session/logit_lens.h"
#include "shared_models.h"
#include "test_paths.h"

using namespace kvs;

namespace {

// softmax in double of the last logits row of a plain prefill of `ids`.
std::vector<double> output_distribution(std::shared_ptr<const Model> model, const std::vector<int>& ids) {
    ForwardOutput out;
    if (!test::make_cpu(model)->forward(ids, 0, false, {}, out).ok()) qFatal("forward failed");
    double mx = out.logits[0];
    for (float l : out.logits) mx = std::max(mx, double(l));
    std::vector<double> p;
    double z = 0;
    for (float l : out.logits) z += std::exp(double(l) - mx);
    for (float l : out.logits) p.push_back(std::exp(double(l) - mx) / z);
    return p;
}

double max_diff(const std::vector<float>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return INFINITY;
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    return worst;
}

}  // namespace

class TestLogitLens : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_, makemore_;

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        KVS_LOAD_MODEL(makemore_, test::load_makemore());
    }

    // The greedy continuations are known: stories260K's 61 ids (../shared/README.md), and
    // makemore's "alexia." after the start token.
    void lastLayerIsTheOutputDistribution_data() {
        QTest::addColumn<bool>("gpt2");
        QTest::addColumn<int>("length");
        QTest::addColumn<int>("next");
        QTest::newRow("stories260K, 10 tokens") << false << 10 << test::kStoriesGreedyIds[10];
        QTest::newRow("stories260K, 1 token") << false << 1 << test::kStoriesGreedyIds[1];
        QTest::newRow("stories260K, 40 tokens") << false << 40 << test::kStoriesGreedyIds[40];
        QTest::newRow("makemore, 1 token") << true << 1 << 1;
        QTest::newRow("makemore, 4 tokens") << true << 4 << 24;
    }
    void lastLayerIsTheOutputDistribution() {
        QFETCH(bool, gpt2);
        QFETCH(int, length);
        QFETCH(int, next);
        const std::vector<int> alexia{0, 1, 12, 5, 24, 9, 1, 0};
        const auto& model = gpt2 ? makemore_ : stories_;
        const std::vector<int> ids = gpt2 ? std::vector<int>(alexia.begin(), alexia.begin() + length)
                                          : std::vector<int>(test::kStoriesGreedyIds, test::kStoriesGreedyIds + length);
        auto b = test::make_cpu(model);
        const auto lens = logit_lens(*b, *model, ids, 5);
        QVERIFY2(lens.ok(), lens.ok() ? "" : lens.message().c_str());
        QCOMPARE(b->cache_length(), 0);
        QCOMPARE(int(lens->layers.size()), model->config.n_layers + 1);
        QCOMPARE(lens->layers.front().layer, -1);
        QCOMPARE(lens->position, length - 1);
        QCOMPARE(lens->final_token, next);
        const LensLayer& last = lens->layers.back();
        const double diff = max_diff(last.probs, output_distribution(model, ids));
        qInfo("last layer against the output distribution: max |dp| = %g", diff);
        QVERIFY(diff <= 5e-6);  // float rounding: measured up to 7e-7
        QCOMPARE(last.final_rank, 0);
        QCOMPARE(last.top.front().id, next);
        for (const LensLayer& l : lens->layers) {
            QCOMPARE(int(l.top.size()), 5);
            for (std::size_t i = 1; i < l.top.size(); ++i) QVERIFY(l.top[i - 1].prob >= l.top[i].prob);
            double sum = 0;
            for (float p : l.probs) sum += p;
            QVERIFY(std::abs(sum - 1.0) < 1e-4);
        }
    }

    // Step 12 of the greedy debugger run chose the known id at position 17; the lens of that
    // step predicts it at the last layer with the probability the step recorded.
    void debuggerLensOfAStep() {
        auto backend = test::make_cpu(stories_);
        Debugger d(stories_, std::move(backend), SessionOptions{});
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        QVERIFY(d.run(20).ok());
        const auto lens = d.logit_lens(12, 5);
        QVERIFY2(lens.ok(), lens.ok() ? "" : lens.message().c_str());
        QCOMPARE(lens->position, 16);
        QCOMPARE(lens->final_token, test::kStoriesGreedyIds[17]);
        const StepFinished& step = d.records()[12].step;
        QCOMPARE(step.sampled_token, lens->final_token);
        QVERIFY(std::abs(step.top.front().probability - lens->layers.back().top.front().prob) < 1e-5f);
        QVERIFY(!d.logit_lens(20, 5).ok());
        QCOMPARE(d.session().tokens().size(), std::size_t(25));  // the debugger's run is untouched
    }
};

QTEST_GUILESS_MAIN(TestLogitLens)
#include "test_logit_lens.moc"
