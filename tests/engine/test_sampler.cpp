// Sampling rules checked against hand-made distributions.
#include <QtTest>
#include <cmath>

#include "model/sampler.h"

using namespace kvs;

class TestSampler : public QObject {
    Q_OBJECT
private slots:
    void greedyTakesTheArgmax() {
        Sampler s({0.0f, 0, 1.0f, 1});
        const std::vector<float> logits{0.1f, 3.0f, -2.0f, 2.9f};
        QCOMPARE(s.sample(logits), 1);
    }
    // Over a vocabulary-sized vector (every lane and the tail): the first of equal maxima wins,
    // and a NaN never does, as std::max_element decides.
    void greedyTakesTheFirstLargestOverAWholeVocabulary() {
        std::vector<float> logits(32003);
        for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = float(i % 97) * 0.01f;  // largest 0.96 at 96, 193, ...
        QCOMPARE(Sampler::argmax(logits), 96);
        logits[20000] = 5.0f;
        logits[31000] = 5.0f;
        QCOMPARE(Sampler::argmax(logits), 20000);
        logits[10] = std::nanf("");
        QCOMPARE(Sampler::argmax(logits), 20000);
        logits[32002] = 6.0f;  // in the tail after the last group of eight
        QCOMPARE(Sampler::argmax(logits), 32002);
        std::vector<float> nan_first{std::nanf(""), 1.0f, 2.0f};
        QCOMPARE(Sampler::argmax(nan_first), 0);
    }
    void topKOfOneIsGreedy() {
        Sampler s({1.5f, 1, 1.0f, 99});
        const std::vector<float> logits{0.1f, 0.2f, 5.0f, 0.3f};
        for (int i = 0; i < 50; ++i) QCOMPARE(s.sample(logits), 2);
    }
    void topPKeepsTheSmallestNucleus() {
        // Probabilities 0.5, 0.3, 0.2 (at T=1): top-p 0.7 keeps {0, 1} only.
        const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.2f)};
        Sampler s({1.0f, 0, 0.7f, 3});
        int counts[3] = {0, 0, 0};
        for (int i = 0; i < 4000; ++i) ++counts[s.sample(logits)];
        QCOMPARE(counts[2], 0);
        // Renormalised: 0.625 and 0.375.
        QVERIFY(std::abs(counts[0] / 4000.0 - 0.625) < 0.03);
    }
    void temperatureSamplingFollowsTheDistribution() {
        const std::vector<float> logits{std::log(0.7f), std::log(0.2f), std::log(0.1f)};
        Sampler s({1.0f, 0, 1.0f, 11});
        int counts[3] = {0, 0, 0};
        const int n = 20000;
        for (int i = 0; i < n; ++i) ++counts[s.sample(logits)];
        QVERIFY(std::abs(counts[0] / double(n) - 0.7) < 0.02);
        QVERIFY(std::abs(counts[1] / double(n) - 0.2) < 0.02);
        QVERIFY(std::abs(counts[2] / double(n) - 0.1) < 0.02);
    }
    void topProbabilitiesAreSortedSoftmax() {
        const std::vector<float> logits{1.0f, 3.0f, 2.0f};
        auto top = Sampler::top_probabilities(logits, 2);
        QCOMPARE(int(top.size()), 2);
        QCOMPARE(top[0].id, 1);
        QCOMPARE(top[1].id, 2);
        const double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
        QVERIFY(std::abs(top[0].probability - std::exp(3.0) / z) < 1e-6);
    }
    // Equal logits: the lower id first; k beyond the vocabulary gives every token; k = 0 none.
    void topProbabilitiesBreakTiesByIdAndClampK() {
        const std::vector<float> logits{2.0f, 5.0f, 5.0f, 1.0f, 5.0f};
        auto ids = [](const std::vector<TokenProbabilityPair>& top) {
            std::vector<int> v;
            for (const auto& p : top) v.push_back(p.id);
            return v;
        };
        QCOMPARE(ids(Sampler::top_probabilities(logits, 4)), (std::vector<int>{1, 2, 4, 0}));
        QCOMPARE(ids(Sampler::top_probabilities(logits, 10)), (std::vector<int>{1, 2, 4, 0, 3}));
        QVERIFY(Sampler::top_probabilities(logits, 0).empty());
        // exp(0) / (3 exp(0) + exp(-3) + exp(-4)) for each of the three maxima.
        const double p_max = 1.0 / (3.0 + std::exp(-3.0) + std::exp(-4.0));
        QVERIFY(std::abs(Sampler::top_probabilities(logits, 1)[0].probability - p_max) < 1e-6);
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
