// The CPU backend over a paged cache gives what the contiguous cache gives: stories260K's known
// greedy ids and logits within 1e-5 at every step, for blocks of 1, 16 and the whole context,
// handed out in order, reversed or shuffled.
#include <QtTest>

#include "core/backend.h"
#include "lockstep.h"
#include "model/model.h"
#include "paged_cases.h"
#include "test_paths.h"

using namespace kvs;

class TestPagedCache : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    const std::vector<int> known_{std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};

    std::unique_ptr<Backend> make(const BackendOptions& o) {
        auto b = create_backend("cpu", model_, o, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void greedyDecodingMatchesContiguous_data() { test::add_paged_cases(); }
    void greedyDecodingMatchesContiguous() {
        auto paged = make(test::paged_options());
        auto contiguous = make(test::contiguous_options());
        QVERIFY(contiguous->kv_layout().contiguous());
        const std::vector<int> prompt(known_.begin(), known_.begin() + 5);
        const auto r = test::greedy_lockstep(*paged, *contiguous, prompt, 56, model_->config.vocab_size);
        qInfo("max |logit paged - contiguous| = %g", r.max_diff);
        QVERIFY2(r.max_diff <= 1e-5f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QCOMPARE(r.ids, known_);
        // The blocks the table holds are where the allocator put them, and the cache reads back
        // the same rows.
        const BlockTable& t = paged->kv().table(Backend::kDefaultSequence);
        QCOMPARE(t.length(), 61);  // 5 prompt tokens and 56 fed back
        QCOMPARE(t.logical_blocks(), paged->kv_layout().blocks_for(61));
        test::verify_block_order(t);
        for (int layer : {0, 4}) {
            std::vector<float> kp, vp, kc, vc;
            QVERIFY(paged->read_kv(layer, 3, kp, vp).ok());
            QVERIFY(contiguous->read_kv(layer, 3, kc, vc).ok());
            QVERIFY(test::max_abs_diff(kp, kc) <= 1e-5f && test::max_abs_diff(vp, vc) <= 1e-5f);
        }
    }

    void prefillLogitsMatchContiguous_data() { test::add_paged_cases(); }
    void prefillLogitsMatchContiguous() {
        const std::vector<int> ids(known_.begin(), known_.begin() + 40);
        ForwardOutput a, b;
        QVERIFY(make(test::paged_options())->forward(ids, 0, true, {}, a).ok());
        QVERIFY(make(test::contiguous_options())->forward(ids, 0, true, {}, b).ok());
        QCOMPARE(a.logit_rows, 40);
        QVERIFY(test::max_abs_diff(a.logits, b.logits) <= 1e-5f);
    }
};

QTEST_GUILESS_MAIN(TestPagedCache)
#include "test_paged_cache.moc"
