// The activation tap of VulkanBackend against the CPU backend's (the reference): every op of
// every layer on stories260K and makemore, in a prefill cut into chunks and in a decode step of
// two sequences; a zeroed row; and a request over its budget failing with an error.
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "session/debugger.h"
#include "session/logit_lens.h"
#include "shader_harness.h"
#include "shared_models.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

namespace {

// The largest difference relative to the values' magnitude (at least 1), and where.
struct Worst {
    float diff = 0;
    std::string where;
};

Worst compare(const std::vector<Activation>& a, const std::vector<Activation>& b) {
    Worst w;
    if (a.size() != b.size()) return {INFINITY, "activation counts differ"};
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].layer != b[i].layer || a[i].point != b[i].point || a[i].rows != b[i].rows || a[i].cols != b[i].cols)
            return {INFINITY, std::string("entry ") + std::to_string(i) + " differs in kind or shape"};
        float scale = 1, diff = 0;
        for (std::size_t j = 0; j < a[i].values.size(); ++j) {
            diff = std::max(diff, std::abs(a[i].values[j] - b[i].values[j]));
            scale = std::max(scale, std::abs(b[i].values[j]));
        }
        if (diff / scale > w.diff)
            w = {diff / scale, "layer " + std::to_string(a[i].layer) + " " + to_string(a[i].point)};
    }
    return w;
}

ForwardBatch prefill(const std::vector<int>& ids, ActivationTap tap) {
    ForwardBatch b;
    b.sequences.push_back({Backend::kDefaultSequence, ids, 0, true});
    b.tap = std::move(tap);
    return b;
}

}  // namespace

class TestVkActivationTap : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_, makemore_;
    int validation_before_ = 0;
    const std::vector<int> ids_{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        KVS_LOAD_MODEL(makemore_, test::load_makemore());
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    // Prefill in chunks of 5 rows (so the tap's rows come from three recordings), every logit row.
    void prefillAgreesWithCpu() {
        for (const auto& [model, ids] : {std::pair{stories_, ids_}, std::pair{makemore_, std::vector<int>{0, 1, 12, 5, 24, 9, 1}}}) {
            auto vk = test::make_vulkan(model, {}, 5);
            auto cpu = test::make_cpu(model);
            ForwardOutput a, b;
            const Status s = vk->forward(prefill(ids, ActivationTap::everything()), a);
            QVERIFY2(s.ok(), s.ok() ? "" : s.message().c_str());
            QVERIFY(cpu->forward(prefill(ids, ActivationTap::everything()), b).ok());
            QCOMPARE(int(a.activations.size()), 1 + 11 * model->config.n_layers + 2);
            const Worst w = compare(a.activations, b.activations);
            qInfo("%s: largest relative difference %g at %s", model->config.arch == Architecture::Gpt2 ? "makemore" : "stories260K",
                  double(w.diff), w.where.c_str());
            QVERIFY2(w.diff <= 1e-4f, w.where.c_str());
        }
    }

    // A decode step of two sequences: rows in batch order, the final norm of both last rows.
    void decodeOfTwoSequencesAgreesWithCpu() {
        BackendOptions o;
        o.max_sequences = 2;
        auto vk = test::make_vulkan(stories_, o);
        auto cpu = test::make_cpu(stories_, o);
        for (Backend* b : {static_cast<Backend*>(vk.get()), cpu.get()}) {
            const int second = b->kv().create_sequence();
            ForwardBatch p;
            p.sequences.push_back({Backend::kDefaultSequence, std::span(ids_).first(6), -1, false});
            p.sequences.push_back({second, std::span(ids_).first(9), -1, false});
            ForwardOutput out;
            QVERIFY(b->forward(p, out).ok());
        }
        ForwardOutput a, b;
        const int next[] = {407, 261};
        for (auto [backend, out] : {std::pair{static_cast<Backend*>(vk.get()), &a}, std::pair{static_cast<Backend*>(cpu.get()), &b}}) {
            ForwardBatch step;
            step.sequences.push_back({Backend::kDefaultSequence, std::span(next, 1), -1, false});
            step.sequences.push_back({1, std::span(next + 1, 1), -1, false});
            step.tap = ActivationTap::everything();
            QVERIFY(backend->forward(step, *out).ok());
        }
        QCOMPARE(find_activation(a.activations, 0, TapPoint::Key)->rows, 2);
        QCOMPARE(find_activation(a.activations, -1, TapPoint::FinalNorm)->rows, 2);
        const Worst w = compare(a.activations, b.activations);
        QVERIFY2(w.diff <= 1e-4f, w.where.c_str());
    }

    // Zeroing a row of the FFN output on the GPU gives what it gives on the CPU.
    void zeroedRowAgreesWithCpu() {
        ActivationTap tap = ActivationTap::everything();
        tap.zero.push_back({1, TapPoint::FfnOutput, 6});
        tap.zero.push_back({-1, TapPoint::Embedding, 2});
        ForwardOutput a, b;
        QVERIFY(test::make_vulkan(stories_, {}, 5)->forward(prefill(ids_, tap), a).ok());
        QVERIFY(test::make_cpu(stories_)->forward(prefill(ids_, tap), b).ok());
        const Activation* zeroed = find_activation(a.activations, 1, TapPoint::FfnOutput);
        QVERIFY(std::all_of(zeroed->row(6), zeroed->row(7), [](float v) { return v == 0.0f; }));
        QVERIFY(std::all_of(a.activations[0].row(2), a.activations[0].row(3), [](float v) { return v == 0.0f; }));
        const Worst w = compare(a.activations, b.activations);
        QVERIFY2(w.diff <= 1e-4f, w.where.c_str());
    }

    // The logit lens from the device's tap: the last layer is the device's own output
    // distribution (softmax of the logits it returns, computed here), and every layer agrees with
    // the lens from the CPU backend.
    void logitLensOnTheDevice() {
        auto vk = test::make_vulkan(stories_);
        const auto lens = logit_lens(*vk, *stories_, ids_, 5);
        QVERIFY2(lens.ok(), lens.ok() ? "" : lens.message().c_str());
        ForwardOutput out;
        QVERIFY(vk->forward(ids_, 0, false, {}, out).ok());
        const float mx = *std::max_element(out.logits.begin(), out.logits.end());
        double z = 0;
        for (float l : out.logits) z += std::exp(double(l - mx));
        const LensLayer& last = lens->layers.back();
        for (std::size_t v = 0; v < out.logits.size(); ++v)
            QVERIFY(std::abs(double(last.probs[v]) - std::exp(double(out.logits[v] - mx)) / z) < 1e-6);
        auto cpu = test::make_cpu(stories_);
        const auto reference = logit_lens(*cpu, *stories_, ids_, 5);
        QVERIFY(reference.ok());
        for (std::size_t l = 0; l < lens->layers.size(); ++l) {
            QCOMPARE(lens->layers[l].top.front().id, reference->layers[l].top.front().id);
            for (std::size_t v = 0; v < out.logits.size(); ++v)
                QVERIFY(std::abs(lens->layers[l].probs[v] - reference->layers[l].probs[v]) < 1e-5f);
        }
    }

    // The debugger's lens on the Vulkan backend, for a run stepped on the CPU (as the app does when
    // the run is on Vulkan): the same top token at every layer as the lens on the CPU, and the
    // same distributions within 1e-5.
    void debuggerLensOnEitherBackend() {
        Debugger d(stories_, test::make_cpu(stories_), SessionOptions{});
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        QVERIFY(d.run(8).ok());
        BackendOptions where;
        where.validation = true;
        const auto on_vk = d.logit_lens(3, 5, "vulkan", where);
        QVERIFY2(on_vk.ok(), on_vk.ok() ? "" : on_vk.message().c_str());
        const auto on_cpu = d.logit_lens(3, 5);
        QVERIFY(on_cpu.ok());
        QCOMPARE(on_vk->final_token, on_cpu->final_token);
        QCOMPARE(on_vk->layers.size(), on_cpu->layers.size());
        for (std::size_t l = 0; l < on_vk->layers.size(); ++l) {
            QCOMPARE(on_vk->layers[l].top.front().id, on_cpu->layers[l].top.front().id);
            for (std::size_t v = 0; v < on_vk->layers[l].probs.size(); ++v)
                QVERIFY(std::abs(on_vk->layers[l].probs[v] - on_cpu->layers[l].probs[v]) < 1e-5f);
        }
    }

    // Asking for more than the budget is an error naming the budget and what was asked; nothing
    // is dropped, the cache is unchanged, and the next pass within budget works.
    void overBudgetFailsWithAnError() {
        auto vk = test::make_vulkan(stories_);
        ActivationTap tap = ActivationTap::everything();
        tap.budget_bytes = 4096;
        ForwardOutput out;
        const Status s = vk->forward(prefill(ids_, tap), out);
        QVERIFY(!s.ok());
        qInfo("%s", s.message().c_str());
        QVERIFY(s.message().find("over the tap's budget") != std::string::npos);
        QVERIFY(s.message().find("4096 bytes") != std::string::npos);
        QCOMPARE(vk->cache_length(), 0);
        tap.budget_bytes = kDefaultTapBudgetBytes;
        QVERIFY(vk->forward(prefill(ids_, tap), out).ok());
        QCOMPARE(vk->cache_length(), 12);
    }
};

QTEST_GUILESS_MAIN(TestVkActivationTap)
#include "test_vk_activation_tap.moc"
