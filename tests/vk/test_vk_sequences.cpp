// Several sequences in one KV pool on the Vulkan backend (lavapipe): decoded together they give
// exactly what each gives alone, one submission per step; the prefix cache skips exactly the
// shared blocks; copy on write (a vkCmdCopyBuffer in the pass) keeps diverging sequences apart.
#include <QtTest>

#include "sequence_checks.h"
#include "shader_harness.h"
#include "test_paths.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkSequences : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    int validation_before_ = 0;
    const std::vector<int> known_{std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};
    test::BackendFactory vulkan_ = [this](BackendOptions o) -> std::unique_ptr<Backend> {
        return test::make_vulkan(model_, o);
    };

    std::vector<int> encode(const char* text) const { return model_->tokenizer->encode_prompt(text); }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void fourPromptsTogetherGiveWhatEachGivesAlone() {
        const std::vector<std::vector<int>> prompts = {encode("Once upon a time"), encode("The little dog"),
                                                       encode("Tom had a big red ball and"), encode("One day")};
        test::check_batch_equals_alone(vulkan_, model_, prompts, 16);
    }

    // Prefill of four prompts is one submission, and so is each decode step of all four.
    void oneSubmissionPerStepForFourSequences() {
        BackendOptions o;
        o.max_sequences = 4;
        auto vk = test::make_vulkan(model_, o);
        VulkanBackend* raw = vk.get();
        SessionOptions so;
        so.sampling.temperature = 0.0f;
        GenerationSession s(model_, std::move(vk), so);
        QVERIFY(s.start_ids_many({encode("Once upon a time"), encode("The little dog"), encode("One day"),
                                  encode("Lily")})
                    .ok());
        QVERIFY(s.prefill().ok());
        QCOMPARE(raw->submissions(), std::uint64_t(1));
        for (int i = 0; i < 5; ++i) QVERIFY(s.step().ok());
        QCOMPARE(raw->submissions(), std::uint64_t(6));
    }

    void forkedSequencesCopyOnWrite() { test::check_fork_copy_on_write(vulkan_, known_, 21, known_[21], 300); }

    void prefixCacheSkipsExactlyTheSharedBlocks() {
        const std::vector<int> a(known_.begin(), known_.begin() + 40);
        std::vector<int> b(known_.begin(), known_.begin() + 32);
        for (int t : {300, 301, 302, 303, 304, 305}) b.push_back(t);
        test::check_prefix_cache(vulkan_, model_, a, b, 2, 8);
    }

    void prefixDivergingInsideACachedBlockCopiesIt() {
        const std::vector<int> a(known_.begin(), known_.begin() + 40);
        std::vector<int> b(known_.begin(), known_.begin() + 20);
        for (int t : {300, 301, 302, 303, 304, 305}) b.push_back(t);
        test::check_prefix_divergence_copies(vulkan_, model_, a, b, 20, 8);
    }
};

QTEST_GUILESS_MAIN(TestVkSequences)
#include "test_vk_sequences.moc"
