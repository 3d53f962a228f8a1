// "Why only K and V" on the Vulkan backend: the perturbation experiments on stories260K and
// makemore move exactly what support/perturbation_checks.h says (a prefill cut into chunks, so
// the taps of one activation come from several recordings).
#include <QtTest>

#include "perturbation_checks.h"
#include "shader_harness.h"
#include "shared_models.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkPerturbation : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_, makemore_;
    int validation_before_ = 0;
    const std::vector<int> story_ids_{std::begin(test::kStoriesGreedyIds), std::begin(test::kStoriesGreedyIds) + 14};
    const std::vector<int> name_ids_{0, 1, 12, 5, 24, 9, 1, 0, 5, 13};

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        KVS_LOAD_MODEL(makemore_, test::load_makemore());
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void changedTokenMovesOnlyItsPositionAndLater() {
        for (const auto& [model, ids, position] : {std::tuple{stories_, story_ids_, 6}, std::tuple{makemore_, name_ids_, 3}}) {
            auto vk = test::make_vulkan(model, {}, 5);
            const auto r = perturb_token(*vk, ids, position);
            QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
            test::verify_token_perturbation(*r, model->config.n_layers);
        }
    }

    void zeroedFfnReachesLaterKeysTwoLayersDeeper() {
        for (const auto& [model, ids, layer] : {std::tuple{stories_, story_ids_, 1}, std::tuple{makemore_, name_ids_, 0}}) {
            auto vk = test::make_vulkan(model, {}, 5);
            const auto r = zero_activation(*vk, ids, {layer, TapPoint::FfnOutput, 4});
            QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
            test::verify_zeroed_ffn(*r, model->config.n_layers);
        }
    }
};

QTEST_GUILESS_MAIN(TestVkPerturbation)
#include "test_vk_perturbation.moc"
