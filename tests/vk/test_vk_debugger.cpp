// The debugger on the Vulkan backend (lavapipe with validation in CI): going back and running
// again gives stories260K's known ids and the same cache bytes, a seeded sampled run replays,
// a forced token lands in the cache, branches share blocks (tests/support/debugger_checks.h).
#include <QtTest>

#include "debugger_checks.h"
#include "shader_harness.h"
#include "vk_backend_fixture.h"

using namespace kvs;

class TestVkDebugger : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    int validation_before_ = 0;
    test::BackendMaker vulkan_ = [this](const BackendOptions& o) -> std::unique_ptr<Backend> {
        return test::make_vulkan(model_, o);
    };

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        validation_before_ = vk::validation_message_count();
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(validation_before_); }

    void rewindGreedyDropping() { test::check_rewind_greedy(model_, vulkan_, false); }
    void rewindGreedyKeepingBranch() { test::check_rewind_greedy(model_, vulkan_, true); }
    void sampledReplay() { test::check_sampled_replay(model_, vulkan_); }
    void forcedToken() { test::check_forced_token(model_, vulkan_); }
    void branchesShareBlocks() { test::check_branch_blocks(model_, vulkan_); }
};

QTEST_GUILESS_MAIN(TestVkDebugger)
#include "test_vk_debugger.moc"
