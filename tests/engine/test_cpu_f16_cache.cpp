// The CPU backend with an F16 KV cache: the pool stores IEEE halves (half the bytes, worked out
// by hand below), attention reads them back as F32, stories260K still decodes llama2.c's greedy
// ids, logits stay within a bound derived below from the F32-cache run, and the paged, shuffled
// and copy-on-write paths hold exactly what the contiguous F16 cache holds.
#include <QtTest>

#include <cmath>

#include "core/backend.h"
#include "kv/kv_host_storage.h"
#include "lockstep.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

namespace {

// Nearest-even rounding of a float to 11 significant bits, written out here (not the engine's
// converter): for normal halves, the spacing of representable values around |x| is 2^(e-10).
float round_to_half_by_hand(float x) {
    if (x == 0.0f) return x;
    int e = 0;
    std::frexp(x, &e);                       // x = m * 2^e, 0.5 <= |m| < 1: spacing 2^(e-11)
    const double spacing = std::ldexp(1.0, std::max(e - 11, -24));  // subnormal halves: 2^-24
    return float(std::nearbyint(double(x) / spacing) * spacing);      // ties to even (default mode)
}

}  // namespace

class TestCpuF16Cache : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    const std::vector<int> known_{std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};

    std::vector<int> prompt() const { return {known_.begin(), known_.begin() + 5}; }  // BOS + 4 prompt tokens

    std::unique_ptr<Backend> make(KvDtype dtype, BackendOptions o = {}) {
        o.kv_dtype = dtype;
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

    // stories260K: 5 layers, 4 KV heads, head_dim 8. Per token K and V: 2 x 5 x 4 x 8 = 320
    // values: 1280 bytes in F32, 640 in F16. The default pool (context 512 in blocks of 16 = 32
    // blocks) holds 512 x 640 = 327,680 bytes in F16, 655,360 in F32.
    void bytesPerTokenAreHalved() {
        auto f16 = make(KvDtype::F16);
        auto f32 = make(KvDtype::F32);
        QCOMPARE(f16->kv_layout().dtype, KvDtype::F16);
        QCOMPARE(f16->kv_layout().bytes_per_token(), 640);
        QCOMPARE(f32->kv_layout().bytes_per_token(), 1280);
        QCOMPARE(f16->kv_layout().bytes_allocated(), 327680);
        QCOMPARE(f32->kv_layout().bytes_allocated(), 655360);
        // The storage itself, not only the formula: its allocation is that size.
        QCOMPARE(KvHostStorage(f16->kv_layout()).bytes(), 327680);
        QCOMPARE(KvHostStorage(f32->kv_layout()).bytes(), 655360);
    }

    // The session reports the halved figures: RunStarted's layout and each step's KvAppend.
    void sessionEventsCarryF16Bytes() {
        struct Collect : EventObserver {
            std::vector<Event> events;
            void on_event(const Event& e) override { events.push_back(e); }
        } collect;
        GenerationSession s(model_, make(KvDtype::F16), SessionOptions{}, &collect);
        QVERIFY(s.start(test::kStoriesPrompt).ok());
        QVERIFY(s.run(3).ok());
        bool started = false;
        const KvAppend* last = nullptr;
        for (const Event& e : collect.events) {
            if (const auto* r = std::get_if<RunStarted>(&e)) {
                QCOMPARE(r->kv_layout.dtype, KvDtype::F16);
                started = true;
            }
            if (const auto* a = std::get_if<KvAppend>(&e)) last = a;
        }
        QVERIFY(started && last);
        // 5 prompt positions + 3 decoded, less the last sampled token (not cached yet): 7 or 8
        // cached positions; either way the formula is positions x 640 and one block of 16
        // positions is 16 x 640 = 10,240 bytes.
        QVERIFY(last->formula_bytes % 640 == 0);
        QVERIFY(last->formula_bytes >= 7 * 640 && last->formula_bytes <= 8 * 640);
        QCOMPARE(last->total_bytes_used, 10240);
        QCOMPARE(last->total_bytes_allocated, 327680);
    }

    // Greedy decoding with the F16 cache gives llama2.c's ids and text.
    void greedyIdsMatchLlama2c() {
        GenerationSession s(model_, make(KvDtype::F16), SessionOptions{});
        QVERIFY(s.start(test::kStoriesPrompt).ok());
        QVERIFY(s.run(56).ok());
        QCOMPARE(s.tokens(), known_);
        const std::vector<int> shown(s.tokens().begin() + 1, s.tokens().end());
        QCOMPARE(QString::fromStdString(model_->tokenizer->decode(shown)), QString(test::kStoriesGreedyText));
    }

    // Logits against the F32 cache at every step of the 56-token greedy run.
    //
    // The tolerance, by hand: F16 keeps 11 significant bits, so each cached K or V value moves by
    // at most 2^-11 of itself (4.9e-4 relative). A score q.k/sqrt(8) is a sum of 8 products, so
    // it moves by at most 4.9e-4 of sum|q_i k_i| / sqrt(8); with the model's scores of magnitude
    // up to ~10 that is ~5e-3, which moves softmax weights by ~5e-3 relative and the head output
    // (a weighted mean of V rows, themselves within 4.9e-4) by about the same. Through the
    // output projection, the residual stream and 5 layers, and a classifier whose logits are
    // ~10 in size, a relative perturbation of ~1e-3 to 5e-3 of the attention's share gives
    // logit moves of a few 1e-2 at worst; 0.05 bounds that, and a broken F16 path (wrong rows,
    // unconverted halves) moves logits by O(1).
    void logitsStayWithinTheF16BoundOfTheF32Cache() {
        auto f16 = make(KvDtype::F16);
        auto f32 = make(KvDtype::F32);
        const auto r = test::greedy_lockstep(*f16, *f32, prompt(), 56, model_->config.vocab_size);
        qInfo("F16 cache vs F32 cache (CPU): max |logit diff| = %g (step %d, logit rms %g, smallest top-2 margin %g)",
              r.max_diff, r.worst_step, r.logit_rms, r.min_margin);
        QVERIFY2(r.max_diff <= 0.05f, qPrintable(QString("max diff %1 at step %2").arg(r.max_diff).arg(r.worst_step)));
        QVERIFY(r.max_diff > 0.0f);  // the cache really rounds: identical logits would mean F32 storage
        QVERIFY(r.min_margin > 2 * 0.05f);  // so the same greedy ids follow from the bound
        QCOMPARE(r.ids, known_);
    }

    // What the cache holds is the F32 value rounded to the nearest half: checked against the F32
    // cache of the same tokens, rounded by hand.
    void storedValuesAreTheRoundedF32Values() {
        const std::vector<int> ids(known_.begin(), known_.begin() + 30);
        auto f16 = make(KvDtype::F16);
        auto f32 = make(KvDtype::F32);
        ForwardOutput out;
        // Layer 0 sees the same inputs either way (the embedding), so its K and V must be exactly
        // the rounded F32 values; deeper layers differ by the earlier layers' rounding.
        QVERIFY(f16->forward(ids, 0, false, {}, out).ok());
        QVERIFY(f32->forward(ids, 0, false, {}, out).ok());
        for (int head = 0; head < 4; ++head) {
            std::vector<float> k16, v16, k32, v32;
            QVERIFY(f16->read_kv(0, head, k16, v16).ok());
            QVERIFY(f32->read_kv(0, head, k32, v32).ok());
            QCOMPARE(k16.size(), std::size_t(30 * 8));
            for (std::size_t i = 0; i < k16.size(); ++i) {
                QCOMPARE(k16[i], round_to_half_by_hand(k32[i]));
                QCOMPARE(v16[i], round_to_half_by_hand(v32[i]));
            }
        }
    }

    // Paged F16 pools (blocks of 1, 7, 16, reversed, shuffled) read exactly what the contiguous
    // F16 cache reads: the halves are gathered block by block.
    void pagedF16MatchesContiguousF16_data() {
        QTest::addColumn<int>("block_size");
        QTest::addColumn<int>("order");
        QTest::addRow("block 1, shuffled") << 1 << int(BlockOrder::Shuffled);
        QTest::addRow("block 7, shuffled") << 7 << int(BlockOrder::Shuffled);
        QTest::addRow("block 16, reversed") << 16 << int(BlockOrder::Descending);
    }
    void pagedF16MatchesContiguousF16() {
        QFETCH(int, block_size);
        QFETCH(int, order);
        BackendOptions paged;
        paged.block_size = block_size;
        paged.block_order = BlockOrder(order);
        paged.block_seed = 5;
        BackendOptions contiguous;
        contiguous.block_size = 0;
        auto a = make(KvDtype::F16, paged);
        auto b = make(KvDtype::F16, contiguous);
        const auto r = test::greedy_lockstep(*a, *b, prompt(), 40, model_->config.vocab_size);
        QCOMPARE(r.max_diff, 0.0f);
        QCOMPARE(r.ids, std::vector<int>(known_.begin(), known_.begin() + 45));  // 5 prompt ids, 40 decoded
    }

    // Copy on write copies halves: a fork that appends into a shared, partly filled block gives
    // the logits of a sequence that was never forked.
    void forkCopiesF16Blocks() {
        const std::vector<int> ids(known_.begin(), known_.begin() + 20);  // blocks of 16: block 1 is partial
        auto forked = make(KvDtype::F16, [] {
            BackendOptions o;
            o.max_sequences = 2;
            return o;
        }());
        ForwardOutput out;
        QVERIFY(forked->forward(ids, 0, false, {}, out).ok());
        auto child = forked->kv().fork(Backend::kDefaultSequence);
        QVERIFY2(child.ok(), child.ok() ? "" : child.message().c_str());
        const std::vector<int> next{known_[20]};
        ForwardBatch batch;
        batch.sequences.push_back({*child, next, -1, false});
        ForwardOutput child_out;
        QVERIFY(forked->forward(batch, child_out).ok());

        auto plain = make(KvDtype::F16);
        ForwardOutput plain_out;
        QVERIFY(plain->forward(ids, 0, false, {}, plain_out).ok());
        QVERIFY(plain->forward(next, 20, false, {}, plain_out).ok());
        QCOMPARE(test::max_abs_diff(child_out.logits, plain_out.logits), 0.0f);
        // The parent's block is untouched by the child's write.
        std::vector<float> kp, vp, kc, vc;
        QVERIFY(forked->read_kv(Backend::kDefaultSequence, 2, 1, kp, vp).ok());
        QVERIFY(forked->read_kv(*child, 2, 1, kc, vc).ok());
        QCOMPARE(kp.size(), std::size_t(20 * 8));
        QCOMPARE(kc.size(), std::size_t(21 * 8));
        QVERIFY(std::equal(kp.begin(), kp.end(), kc.begin()));
    }
};

QTEST_APPLESS_MAIN(TestCpuF16Cache)
#include "test_cpu_f16_cache.moc"
