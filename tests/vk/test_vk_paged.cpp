// The Vulkan backend over a paged cache gives what its contiguous cache gives: stories260K's
// known greedy ids and logits within 1e-5 at every step, for blocks of 1, 16 and the whole
// context, handed out in order, reversed or shuffled; and a prefill in chunks that cross blocks.
#include <QtTest>

#include "paged_cases.h"
#include "shader_harness.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkPaged : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    int validation_before_ = 0;
    const std::vector<int> known_{std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void greedyDecodingMatchesContiguous_data() { test::add_paged_cases(); }
    void greedyDecodingMatchesContiguous() {
        auto paged = test::make_vulkan(model_, test::paged_options());
        auto contiguous = test::make_vulkan(model_, test::contiguous_options());
        const std::vector<int> prompt(known_.begin(), known_.begin() + 5);
        const auto r = test::greedy_lockstep(*paged, *contiguous, prompt, 56, model_->config.vocab_size);
        qInfo("max |logit paged - contiguous| = %g", r.max_diff);
        QVERIFY2(r.max_diff <= 1e-5f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QCOMPARE(r.ids, known_);
        test::verify_block_order(paged->kv().table(Backend::kDefaultSequence));
        for (int layer : {0, 4}) {
            std::vector<float> kp, vp, kc, vc;
            QVERIFY(paged->read_kv(layer, 1, kp, vp).ok());
            QVERIFY(contiguous->read_kv(layer, 1, kc, vc).ok());
            QCOMPARE(kp.size(), std::size_t(61 * model_->config.head_dim()));
            QVERIFY(test::max_abs_diff(kp, kc) <= 1e-5f && test::max_abs_diff(vp, vc) <= 1e-5f);
        }
    }

    // 40 positions in chunks of 7 rows: chunks and blocks cross each other.
    void chunkedPrefillMatchesContiguous_data() { test::add_paged_cases(); }
    void chunkedPrefillMatchesContiguous() {
        const std::vector<int> ids(known_.begin(), known_.begin() + 40);
        ForwardOutput a, b;
        QVERIFY(test::make_vulkan(model_, test::paged_options(), 7)->forward(ids, 0, true, {}, a).ok());
        QVERIFY(test::make_vulkan(model_, test::contiguous_options(), 7)->forward(ids, 0, true, {}, b).ok());
        QCOMPARE(a.logit_rows, 40);
        const float d = test::max_abs_diff(a.logits, b.logits);
        QVERIFY2(d <= 1e-5f, qPrintable(QString("max diff %1").arg(d)));
    }

    // F16 storage through the same tables: the paged F16 cache holds what the contiguous one holds.
    void f16CacheMatchesContiguous() {
        BackendOptions o;
        o.kv_dtype = KvDtype::F16;
        o.block_size = 16;
        o.block_order = BlockOrder::Shuffled;
        auto paged = test::make_vulkan(model_, o);
        auto contiguous = test::make_vulkan(model_, test::contiguous_options(o));
        const std::vector<int> prompt(known_.begin(), known_.begin() + 5);
        const auto r = test::greedy_lockstep(*paged, *contiguous, prompt, 30, model_->config.vocab_size);
        QVERIFY2(r.max_diff <= 1e-5f, qPrintable(QString("max diff %1").arg(r.max_diff)));
    }
};

QTEST_GUILESS_MAIN(TestVkPaged)
#include "test_vk_paged.moc"
