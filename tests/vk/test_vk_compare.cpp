// Comparing the CPU run with the Vulkan run (lavapipe with validation in CI): greedy stories260K
// never diverges, gives the known ids, and the logits agree within the F32 tolerance of the
// backend parity tests (1e-4, docs/VULKAN.md) at every step, with the cache and without it.
#include <QtTest>

#include "session/run_comparison.h"
#include "session/run_recorder.h"
#include "shader_harness.h"
#include "shared_models.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkCompare : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    int validation_before_ = 0;

    RecordedRun record(std::unique_ptr<Backend> backend, bool use_cache, int n) {
        SessionOptions o;
        o.use_cache = use_cache;
        auto r = record_run(model_, std::move(backend), o, model_->tokenizer->encode_prompt(test::kStoriesPrompt), n);
        if (!r.ok()) qFatal("%s", r.message().c_str());
        return std::move(r).value();
    }
    void check_cpu_against_vulkan(bool use_cache, int n) {
        const RecordedRun a = record(test::make_cpu(model_), use_cache, n);
        const RecordedRun b = record(test::make_vulkan(model_), use_cache, n);
        QCOMPARE(QString::fromStdString(b.backend), QString("vulkan"));
        auto c = compare_runs(a, b);
        QVERIFY2(c.ok(), c.ok() ? "" : c.message().c_str());
        QCOMPARE(c->first_divergence, -1);
        QCOMPARE(c->common_steps, n);
        const std::vector<int> known(std::begin(test::kStoriesGreedyIds), std::begin(test::kStoriesGreedyIds) + 5 + n);
        std::vector<int> whole = c->prompt;
        whole.insert(whole.end(), c->tokens_b.begin(), c->tokens_b.end());
        QCOMPARE(whole, known);
        for (const StepDifference& d : c->steps)
            QVERIFY2(d.max_abs_logit < 1e-4, qPrintable(QString("step %1: %2").arg(d.step).arg(d.max_abs_logit)));
        QVERIFY(c->max_kl_same_context < 1e-6);
        // With no divergence the distributions shown are those of the largest difference.
        QVERIFY(c->focus_step >= 0 && c->top_a.front().id == c->top_b.front().id);
    }

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(model_, test::load_stories260k());
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void cpuAgainstVulkanCached() { check_cpu_against_vulkan(true, 56); }
    void cpuAgainstVulkanUncached() { check_cpu_against_vulkan(false, 20); }
};

QTEST_GUILESS_MAIN(TestVkCompare)
#include "test_vk_compare.moc"
