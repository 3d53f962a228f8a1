// The activation tap of VulkanBackend against a step-by-step CPU reference of the same ops:
// the first (layer, op) whose values differ is reported, so a broken kernel is named rather
// than seen only as wrong logits. Also checks that the facility finds a planted fault.
#include <QtTest>

#include <cmath>

#include "model/synthetic_model.h"
#include "reference_forward.h"
#include "shader_harness.h"
#include "shared_models.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;
using test::Divergence;
using test::first_divergence;
using test::reference_pass;

class TestVkDivergence : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_;
    int validation_before_ = 0;
    const std::vector<int> ids_{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

    Divergence check(std::shared_ptr<const Model> gpu_model, const Model& reference_model, const std::vector<int>& ids) {
        auto vk = test::make_vulkan(std::move(gpu_model));
        ForwardBatch batch;
        batch.sequences.push_back({Backend::kDefaultSequence, ids, 0, false});
        batch.tap = ActivationTap::everything();
        ForwardOutput out;
        if (!vk->forward(batch, out).ok()) return {false, "", -2, TapPoint::Count, "forward failed"};
        return first_divergence(out.activations, reference_pass(reference_model, ids));
    }

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void storiesHasNoDivergence() {
        const Divergence d = check(stories_, *stories_, ids_);
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY2(!d.found, qPrintable("first divergence from the CPU reference: " + QString::fromStdString(d.where)));
    }

    void gpt2ShapeHasNoDivergence() {
        auto m = make_synthetic_model("gpt2-124m", 1, 3);
        QVERIFY(m.ok());
        auto small = std::make_shared<Model>(**m);
        const Divergence d = check(small, *small, {10, 20, 30, 40});
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY2(!d.found, qPrintable("first divergence from the CPU reference: " + QString::fromStdString(d.where)));
    }

    // A fault planted in layer 2's output projection (one weight changed on the GPU copy only)
    // is reported at exactly that layer and op, not earlier and not as a generic logit error.
    void plantedFaultIsLocated() {
        auto faulty = std::make_shared<Model>(*stories_);
        Tensor& wo = faulty->weights.layers[2].wo;
        wo = Tensor{wo.to_f32(), wo.rows, wo.cols};  // an owned copy (the file's rows are read-only)
        wo.data[5] += 0.5f;
        const Divergence d = check(faulty, *stories_, ids_);
        QVERIFY2(d.error.empty(), d.error.c_str());
        QVERIFY(d.found);
        qInfo("planted fault reported as: %s", d.where.c_str());
        QCOMPARE(d.layer, 2);
        QCOMPARE(d.point, TapPoint::OutputProjection);
    }
};

QTEST_GUILESS_MAIN(TestVkDivergence)
#include "test_vk_divergence.moc"
