// The events of a run tell the truth: KV bytes against the formula and the cache itself,
// attention rows against an independent computation, FLOP ratios cached vs uncached.
#include <QtTest>
#include <cmath>

#include "core/backend.h"
#include "model/model.h"
#include "session/generation_session.h"
#include "test_paths.h"

using namespace kvs;

namespace {
struct Recorder : EventObserver {
    std::vector<Event> events;
    // Cache length seen at each KvAppend, read from the backend while the event is delivered.
    const Backend* backend = nullptr;
    std::vector<std::pair<KvAppend, int>> kv;
    void on_event(const Event& e) override {
        events.push_back(e);
        if (const auto* k = std::get_if<KvAppend>(&e)) kv.push_back({*k, backend ? backend->cache_length() : -1});
    }
    template <typename T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& e : events)
            if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
        return out;
    }
};
}  // namespace

class TestSessionEvents : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;

    std::unique_ptr<GenerationSession> session(Recorder& rec, SessionOptions o) {
        auto b = create_backend("cpu", model_, {}, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        auto s = std::make_unique<GenerationSession>(model_, std::move(b).value(), o, &rec);
        rec.backend = &s->backend();
        return s;
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    // Measured bytes are the allocator's blocks, worked out by hand for stories260K at the
    // default block size of 16: a position of 5 layers x 2 (K, V) x 4 KV heads x 8 dims x 4 bytes
    // is 1,280 bytes, a block 20,480; the 512-position context is 32 blocks, 655,360 bytes.
    void kvBytesAreTheAllocatorsBlocksAtEveryStep() {
        Recorder rec;
        auto s = session(rec, {});
        QVERIFY(s->start(test::kStoriesPrompt).ok());
        QVERIFY(s->run(30).ok());
        const ModelConfig& c = model_->config;
        QCOMPARE(int(rec.kv.size()), 30 * c.n_layers);
        // After the prefill of 5 positions and each decode step: positions 5, 6, ..., 34.
        const std::int64_t kBlock = 20480;
        for (const auto& [ev, cache_length] : rec.kv) {
            const std::int64_t seq = ev.first_pos + ev.n_positions;
            QCOMPARE(seq, std::int64_t(cache_length));  // what the cache really holds
            const int blocks = seq <= 16 ? 1 : seq <= 32 ? 2 : 3;
            QCOMPARE(ev.blocks, blocks);
            QCOMPARE(ev.total_bytes_used, blocks * kBlock);
            QCOMPARE(ev.layer_bytes_used, blocks * kBlock / 5);
            QCOMPARE(ev.formula_bytes, seq * 1280);
            QCOMPARE(ev.total_bytes_allocated, std::int64_t(655360));
        }
        // The last step: 34 positions in 3 blocks = 61,440 bytes held against the formula's
        // 43,520; the difference is the 14 empty slots of block 3 (17,920 bytes).
        const auto pools = rec.all<PoolState>();
        QCOMPARE(int(pools.size()), 30);
        const KvPoolUsage& u = pools.back().usage;
        QCOMPARE(u.bytes_held, std::int64_t(61440));
        QCOMPARE(u.formula_bytes, std::int64_t(43520));
        QCOMPARE(u.bytes_held - u.formula_bytes, std::int64_t(17920));
        QCOMPARE(u.used_blocks, 3);
        QCOMPARE(u.free_blocks, 29);
        // Blocks were allocated at positions 0, 16 and 32: three allocation events, steps 0, 12, 28
        // (step k > 0 writes position 4 + k).
        std::vector<int> alloc_steps;
        for (const auto& b : rec.all<BlockEvent>())
            if (b.kind == BlockEventKind::Allocated) alloc_steps.push_back(b.step);
        QCOMPARE(alloc_steps, (std::vector<int>{0, 12, 28}));
        // And the cache's own contents have that many rows.
        std::vector<float> k, v;
        QVERIFY(s->backend().read_kv(2, 1, k, v).ok());
        QCOMPARE(qsizetype(k.size()), qsizetype(s->backend().cache_length()) * c.head_dim());
    }

    void attentionRowsMatchAnIndependentComputation() {
        // Layer 0 recomputed by hand from the embedding and the cached keys: q = rope(Wq rmsnorm(x)).
        Recorder rec;
        SessionOptions o;
        o.capture.mode = AttentionCapture::Mode::NewRows;
        o.capture.layers = {0};
        auto s = session(rec, o);
        QVERIFY(s->start(test::kStoriesPrompt).ok());
        QVERIFY(s->run(8).ok());
        const ModelConfig& c = model_->config;
        const auto& w = model_->weights;
        const int d = c.dim, hd = c.head_dim();
        std::vector<std::vector<float>> keys(c.n_kv_heads);
        for (int h = 0; h < c.n_kv_heads; ++h) {
            std::vector<float> v;
            QVERIFY(s->backend().read_kv(0, h, keys[h], v).ok());
        }
        const auto attn = rec.all<AttentionEvent>();
        QCOMPARE(int(attn.size()), 8 * c.n_heads);
        double worst = 0;
        for (const auto& ev : attn) {
            QCOMPARE(ev.layer, 0);
            QCOMPARE(ev.kv_head, ev.head / c.gqa_group());
            for (int r = 0; r < ev.n_queries; ++r) {
                const int pos = ev.first_query + r;
                const int token = s->tokens()[pos];
                // x = embedding; xn = rmsnorm(x) * w; q_head = Wq[head rows] xn; rope(q_head, pos)
                std::vector<double> x(d), q(hd);
                double ss = 0;
                for (int i = 0; i < d; ++i) ss += double(w.token_embedding.f32()[std::size_t(token) * d + i]) * w.token_embedding.f32()[std::size_t(token) * d + i];
                const double inv = 1.0 / std::sqrt(ss / d + c.norm_eps);
                for (int i = 0; i < d; ++i) x[i] = w.token_embedding.f32()[std::size_t(token) * d + i] * inv * w.layers[0].attn_norm.data[i];
                for (int j = 0; j < hd; ++j) {
                    double acc = 0;
                    for (int i = 0; i < d; ++i) acc += double(w.layers[0].wq.f32()[std::size_t(ev.head * hd + j) * d + i]) * x[i];
                    q[j] = acc;
                }
                for (int j = 0; j < hd / 2; ++j) {
                    const double angle = pos / std::pow(double(c.rope_theta), 2.0 * j / hd);
                    const double a = q[2 * j], b = q[2 * j + 1];
                    q[2 * j] = a * std::cos(angle) - b * std::sin(angle);
                    q[2 * j + 1] = a * std::sin(angle) + b * std::cos(angle);
                }
                std::vector<double> p(pos + 1);
                double max = -1e300, sum = 0, row_sum = 0;
                for (int k = 0; k <= pos; ++k) {
                    double dot = 0;
                    for (int j = 0; j < hd; ++j) dot += q[j] * keys[ev.kv_head][std::size_t(k) * hd + j];
                    p[k] = dot / std::sqrt(double(hd));
                    max = std::max(max, p[k]);
                }
                for (auto& e : p) sum += (e = std::exp(e - max));
                for (int k = 0; k < ev.n_keys; ++k) {
                    const double got = ev.probs[std::size_t(r) * ev.n_keys + k];
                    const double want = k <= pos ? p[k] / sum : 0.0;
                    worst = std::max(worst, std::abs(got - want));
                    row_sum += got;
                }
                QVERIFY2(std::abs(row_sum - 1.0) < 1e-5, qPrintable(QString("row sum %1").arg(row_sum, 0, 'g', 10)));
            }
        }
        QVERIFY2(worst < 1e-5, qPrintable(QString("max |captured - reference| = %1").arg(worst)));
    }

    void uncachedStepsCostAboutTTimesMore() {
        Recorder cached_rec, uncached_rec;
        SessionOptions o;
        auto cached = session(cached_rec, o);
        o.use_cache = false;
        auto uncached = session(uncached_rec, o);
        QVERIFY(cached->start(test::kStoriesPrompt).ok() && uncached->start(test::kStoriesPrompt).ok());
        QVERIFY(cached->run(20).ok() && uncached->run(20).ok());
        QCOMPARE(cached->tokens(), uncached->tokens());

        auto flops = [](const Recorder& r, int step, OpKind op) {
            double f = 0;
            for (const auto& e : r.all<OpCostEvent>())
                if (e.step == step && e.op == op) f += e.flops;
            return f;
        };
        const int prompt = cached->prompt_length();
        for (int step = 1; step < 20; ++step) {
            const int t = prompt + step - 1;  // position of the token this decode step feeds
            for (OpKind op : {OpKind::QkvProjection, OpKind::OutputProjection, OpKind::FfnGate, OpKind::FfnUp, OpKind::FfnDown}) {
                const double ratio = flops(uncached_rec, step, op) / flops(cached_rec, step, op);
                QCOMPARE(ratio, double(t + 1));  // the linear parts redo every position
            }
            // Attention scores: the whole causal triangle against one row.
            const double ratio = flops(uncached_rec, step, OpKind::AttentionScores) / flops(cached_rec, step, OpKind::AttentionScores);
            QVERIFY(std::abs(ratio - (t + 2) / 2.0) < 1e-9);  // sum_{p<=t}(p+1) / (t+1)
        }
    }

    void stepsCarryTopProbabilitiesAndTiming() {
        Recorder rec;
        auto s = session(rec, {});
        QVERIFY(s->start(test::kStoriesPrompt).ok());
        QVERIFY(s->run(5).ok());
        const auto steps = rec.all<StepFinished>();
        QCOMPARE(int(steps.size()), 5);
        QCOMPARE(steps[0].phase, Phase::Prefill);
        QCOMPARE(steps[0].n_positions, 5);
        QCOMPARE(steps[1].phase, Phase::Decode);
        QCOMPARE(steps[1].first_pos, 5);
        for (const auto& st : steps) {
            QCOMPARE(int(st.top.size()), 5);
            QCOMPARE(st.top[0].id, st.sampled_token);  // greedy
            QVERIFY(st.top[0].probability >= st.top[1].probability);
            QVERIFY(st.wall_ms > 0);
        }
        const auto fin = rec.all<RunFinished>();
        QCOMPARE(int(fin.size()), 1);
        QCOMPARE(fin[0].generated_tokens, 5);
        QCOMPARE(QString::fromStdString(fin[0].stop_reason), QString("limit"));
    }
};

QTEST_GUILESS_MAIN(TestSessionEvents)
#include "test_session_events.moc"
