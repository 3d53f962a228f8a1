// The activation tap of the CPU backend (core/activation_tap.h) on stories260K and makemore:
// every tapped activation against an op-by-op reference written out in the test suite
// (support/reference_forward.h), the request's layers and ops, the budget failing loudly, and
// a zeroed row reaching only what it should.
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "core/backend.h"
#include "model/model.h"
#include "reference_forward.h"
#include "shared_models.h"
#include "test_paths.h"

using namespace kvs;

namespace {

ForwardBatch prefill(const std::vector<int>& ids, ActivationTap tap, bool all_logits = false) {
    ForwardBatch b;
    b.sequences.push_back({Backend::kDefaultSequence, ids, 0, all_logits});
    b.tap = std::move(tap);
    return b;
}

float max_diff(const std::vector<float>& a, const std::vector<float>& b) {
    float worst = a.size() == b.size() ? 0.0f : INFINITY;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

}  // namespace

class TestActivationTap : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_, makemore_;
    const std::vector<int> ids_{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        KVS_LOAD_MODEL(makemore_, test::load_makemore());
    }

    void everyPointMatchesTheReference() {
        for (const auto& [model, ids] : {std::pair{stories_, ids_}, std::pair{makemore_, std::vector<int>{0, 1, 12, 5, 24, 9}}}) {
            auto b = test::make_cpu(model);
            ForwardOutput out;
            const Status s = b->forward(prefill(ids, ActivationTap::everything()), out);
            QVERIFY2(s.ok(), s.ok() ? "" : s.message().c_str());
            // 1 embedding + 11 per layer + final norm + logits.
            QCOMPARE(int(out.activations.size()), 1 + 11 * model->config.n_layers + 2);
            const test::Divergence d = test::first_divergence(out.activations, test::reference_pass(*model, ids));
            QVERIFY2(d.error.empty(), d.error.c_str());
            QVERIFY2(!d.found, d.where.c_str());
            const Activation* logits = find_activation(out.activations, -1, TapPoint::Logits);
            QVERIFY(logits);
            QCOMPARE(logits->rows, 1);
            QCOMPARE(logits->values, out.logits);
        }
    }

    // Shapes worked out by hand: stories260K has dim 64, 8 heads of 8 with 4 KV heads (kv_dim
    // 32), hidden 172, vocabulary 512.
    void layersAndPointsNarrowTheTap() {
        auto b = test::make_cpu(stories_);
        ActivationTap tap;
        tap.points = {TapPoint::Key, TapPoint::FfnHidden, TapPoint::Logits};
        tap.layers = {1, 3};
        ForwardOutput out;
        QVERIFY(b->forward(prefill(ids_, tap, true), out).ok());
        QCOMPARE(int(out.activations.size()), 5);
        const Activation* k3 = find_activation(out.activations, 3, TapPoint::Key);
        QVERIFY(k3);
        QCOMPARE(k3->rows, 12);
        QCOMPARE(k3->cols, 32);
        QCOMPARE(find_activation(out.activations, 1, TapPoint::FfnHidden)->cols, 172);
        QCOMPARE(find_activation(out.activations, -1, TapPoint::Logits)->rows, 12);
        QCOMPARE(find_activation(out.activations, -1, TapPoint::Logits)->cols, 512);
        QVERIFY(!find_activation(out.activations, 0, TapPoint::Key));
    }

    // 12 rows x (64 x 9 + 32 x 2 + 172) x 4 bytes x 5 layers + embedding and final norm rows:
    // far more than 1000 bytes. The pass fails before it runs, naming the budget, and the cache
    // is left as it was.
    void overBudgetFailsLoudly() {
        auto b = test::make_cpu(stories_);
        ActivationTap tap = ActivationTap::everything();
        tap.budget_bytes = 1000;
        ForwardOutput out;
        const Status s = b->forward(prefill(ids_, tap), out);
        QVERIFY(!s.ok());
        qInfo("%s", s.message().c_str());
        QVERIFY(s.message().find("budget") != std::string::npos);
        QVERIFY(s.message().find("1000 bytes") != std::string::npos);
        QCOMPARE(b->cache_length(), 0);
        QVERIFY(out.activations.empty());
        tap.budget_bytes = kDefaultTapBudgetBytes;
        QVERIFY(b->forward(prefill(ids_, tap), out).ok());
    }

    // Row 4 of layer 2's FFN output zeroed: the tap shows it zero, the other rows as without the
    // patch, and nothing of layers 0 and 1 changes.
    void zeroedRowIsZeroAndOthersUnchanged() {
        ForwardOutput plain, patched;
        QVERIFY(test::make_cpu(stories_)->forward(prefill(ids_, ActivationTap::everything()), plain).ok());
        ActivationTap tap = ActivationTap::everything();
        tap.zero.push_back({2, TapPoint::FfnOutput, 4});
        QVERIFY(test::make_cpu(stories_)->forward(prefill(ids_, tap), patched).ok());
        const Activation* before = find_activation(plain.activations, 2, TapPoint::FfnOutput);
        const Activation* after = find_activation(patched.activations, 2, TapPoint::FfnOutput);
        for (int r = 0; r < after->rows; ++r)
            for (int c = 0; c < after->cols; ++c)
                QCOMPARE(after->row(r)[c], r == 4 ? 0.0f : before->row(r)[c]);
        for (int l = 0; l < 2; ++l)
            for (TapPoint p : all_tap_points())
                if (is_layer_point(p))
                    QCOMPARE(max_diff(find_activation(plain.activations, l, p)->values,
                                      find_activation(patched.activations, l, p)->values),
                             0.0f);
        QVERIFY(max_diff(plain.logits, patched.logits) > 0.0f);
    }

    void badPatchIsAnError() {
        ActivationTap tap;
        tap.zero.push_back({7, TapPoint::FfnOutput, 0});
        ForwardOutput out;
        const Status s = test::make_cpu(stories_)->forward(prefill(ids_, tap), out);
        QVERIFY(!s.ok());
        QVERIFY(s.message().find("layer 7") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestActivationTap)
#include "test_activation_tap.moc"
