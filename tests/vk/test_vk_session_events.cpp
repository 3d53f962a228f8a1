// The Vulkan backend tells the same story as the CPU backend: a session emits the same events
// in the same order, the KV bytes follow 2 x layers x kv_heads x head_dim x seq x bytes and
// match what the device cache really holds, and every captured attention row is a causal
// distribution that matches the Eigen reference.
#include <QtTest>

#include <cmath>

#include "model/model.h"
#include "session/generation_session.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

namespace {

struct Recorder : EventObserver {
    std::vector<Event> events;
    const Backend* backend = nullptr;
    std::vector<int> cache_length_at_kv;  // backend cache length when each KvAppend arrives
    void on_event(const Event& e) override {
        events.push_back(e);
        if (std::holds_alternative<KvAppend>(e)) cache_length_at_kv.push_back(backend->cache_length());
    }
    template <typename T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& e : events)
            if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
        return out;
    }
};

constexpr int kSteps = 24;

}  // namespace

class TestVkSessionEvents : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;

    std::unique_ptr<GenerationSession> run(Recorder& rec, std::unique_ptr<Backend> backend) {
        SessionOptions o;
        o.sampling.temperature = 0;
        o.capture.mode = AttentionCapture::Mode::NewRows;
        auto s = std::make_unique<GenerationSession>(model_, std::move(backend), o, &rec);
        rec.backend = &s->backend();
        if (!s->start(test::kStoriesPrompt).ok() || !s->run(kSteps).ok()) qFatal("session failed");
        return s;
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void sameEventsAsTheCpuBackend() {
        Recorder cpu_rec, vk_rec;
        auto cpu = run(cpu_rec, test::make_cpu(model_));
        auto vk = run(vk_rec, test::make_vulkan(model_));
        QCOMPARE(vk_rec.events.size(), cpu_rec.events.size());
        for (std::size_t i = 0; i < cpu_rec.events.size(); ++i)
            QCOMPARE(vk_rec.events[i].index(), cpu_rec.events[i].index());
        QCOMPARE(vk->tokens(), cpu->tokens());

        const auto run_started = vk_rec.all<RunStarted>();
        QCOMPARE(run_started.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(run_started[0].backend), QString("vulkan"));
        // Every Vulkan step reports the GPU's own time.
        for (const auto& step : vk_rec.all<StepFinished>()) QVERIFY(step.device_ms > 0.0);
    }

    void kvBytesMatchTheFormulaAndTheDeviceCache() {
        Recorder cpu_rec, vk_rec;
        auto cpu = run(cpu_rec, test::make_cpu(model_));
        auto vk = run(vk_rec, test::make_vulkan(model_));
        const ModelConfig& c = model_->config;
        const auto kv = vk_rec.all<KvAppend>();
        QCOMPARE(int(kv.size()), kSteps * c.n_layers);
        // stories260K: 2 x 5 layers x 4 KV heads x head_dim 8 x 4 bytes = 1,280 bytes per position;
        // the default blocks of 16 positions hold 20,480 bytes each.
        for (std::size_t i = 0; i < kv.size(); ++i) {
            const std::int64_t seq = kv[i].first_pos + kv[i].n_positions;
            QCOMPARE(kv[i].formula_bytes, seq * 1280);
            QCOMPARE(kv[i].total_bytes_used, (seq + 15) / 16 * 20480);
            QCOMPARE(seq, std::int64_t(vk_rec.cache_length_at_kv[i]));
        }
        // The device cache holds the same keys and values as the host reference, row for row.
        float worst = 0;
        for (int layer = 0; layer < c.n_layers; ++layer)
            for (int h = 0; h < c.n_kv_heads; ++h) {
                std::vector<float> ck, cv, vk_k, vk_v;
                QVERIFY(cpu->backend().read_kv(layer, h, ck, cv).ok());
                QVERIFY(vk->backend().read_kv(layer, h, vk_k, vk_v).ok());
                QCOMPARE(vk_k.size(), ck.size());
                worst = std::max({worst, test::max_abs_diff(ck, vk_k), test::max_abs_diff(cv, vk_v)});
            }
        qInfo("max |K,V vulkan - cpu| = %g", double(worst));
        QVERIFY2(worst < 1e-4f, qPrintable(QString::number(double(worst))));
    }

    void attentionRowsAreDistributionsThatMatchTheReference() {
        Recorder cpu_rec, vk_rec;
        run(cpu_rec, test::make_cpu(model_));
        run(vk_rec, test::make_vulkan(model_));
        const auto cpu_attn = cpu_rec.all<AttentionEvent>();
        const auto vk_attn = vk_rec.all<AttentionEvent>();
        QCOMPARE(vk_attn.size(), cpu_attn.size());
        QCOMPARE(int(vk_attn.size()), kSteps * model_->config.n_layers * model_->config.n_heads);
        double worst_sum = 0, worst_diff = 0;
        for (std::size_t i = 0; i < vk_attn.size(); ++i) {
            const auto& a = vk_attn[i];
            const auto& ref = cpu_attn[i];
            QCOMPARE(a.layer, ref.layer);
            QCOMPARE(a.head, ref.head);
            QCOMPARE(a.first_query, ref.first_query);
            QCOMPARE(a.n_keys, ref.n_keys);
            for (int r = 0; r < a.n_queries; ++r) {
                double sum = 0;
                for (int k = 0; k < a.n_keys; ++k) {
                    const std::size_t at = std::size_t(r) * a.n_keys + k;
                    if (k > a.first_query + r) QCOMPARE(a.probs[at], 0.0f);  // causal
                    sum += a.probs[at];
                    worst_diff = std::max(worst_diff, double(std::abs(a.probs[at] - ref.probs[at])));
                }
                worst_sum = std::max(worst_sum, std::abs(sum - 1.0));
            }
        }
        qInfo("attention rows: max |sum - 1| = %g, max |vulkan - cpu| = %g", worst_sum, worst_diff);
        QVERIFY2(worst_sum < 1e-5, qPrintable(QString::number(worst_sum)));
        QVERIFY2(worst_diff < 1e-5, qPrintable(QString::number(worst_diff)));
    }

    void f16CacheHalvesTheBytes() {
        Recorder rec;
        BackendOptions o;
        o.kv_dtype = KvDtype::F16;
        auto vk = run(rec, test::make_vulkan(model_, o));
        const ModelConfig& c = model_->config;
        const auto kv = rec.all<KvAppend>();
        QVERIFY(!kv.empty());
        const std::int64_t seq = kv.back().first_pos + kv.back().n_positions;
        // Half of the F32 figures: 640 bytes per position, 10,240 per block of 16.
        QCOMPARE(kv.back().formula_bytes, seq * 640);
        QCOMPARE(kv.back().total_bytes_used, (seq + 15) / 16 * 10240);
        QCOMPARE(kv.back().total_bytes_used, std::int64_t(kv.back().blocks) * 10240);
        (void)c;
        QCOMPARE(rec.all<RunStarted>()[0].kv_layout.dtype, KvDtype::F16);
    }
};

QTEST_GUILESS_MAIN(TestVkSessionEvents)
#include "test_vk_session_events.moc"
