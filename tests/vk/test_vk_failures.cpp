// GPU failures on lavapipe, made by the test layer VK_LAYER_KVSCOPE_fault_injection
// (tests/support/vk_fault_layer): a device with too little memory, allocations that fail at any
// point of the backend's creation or in the middle of a run, and a device lost in the middle
// of a run. Each ends in an error value with a clear message (or the CPU, with the reason),
// never a crash; a new backend works afterwards; the validation layer stays silent throughout.
#include <QtTest>

#include "cli_runner.h"
#include "core/backend.h"
#include "session/generation_session.h"
#include "test_paths.h"
#include "vk/vk_context.h"
#include "vk/vulkan_backend.h"

using namespace kvs;

namespace {

// The fault variables are read when a device is created (and the memory limit at every call):
// each test sets what it needs and clears it afterwards.
struct Fault {
    const char* name;
    Fault(const char* n, const QByteArray& value) : name(n) { qputenv(name, value); }
    ~Fault() { qunsetenv(name); }
};

std::vector<int> known_ids(std::size_t n) {
    return std::vector<int>(std::begin(test::kStoriesGreedyIds), std::begin(test::kStoriesGreedyIds) + n);
}

SessionOptions greedy() {
    SessionOptions o;
    o.sampling.temperature = 0.0f;
    return o;
}

}  // namespace

class TestVkFailures : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    int validation_before_ = 0;

    BackendOptions options() const {
        BackendOptions o;
        o.validation = true;
        return o;
    }

private slots:
    void initTestCase() {
        qputenv("VK_ADD_LAYER_PATH", KVSCOPE_VK_FAULT_LAYER_DIR);
        qputenv("VK_INSTANCE_LAYERS", "VK_LAYER_KVSCOPE_fault_injection");
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        // The layer is active: it clamps the reported heaps.
        Fault small("KVSCOPE_FAULT_DEVICE_MEMORY", "1048576");
        auto ctx = vk::VulkanContext::create({"", true});
        if (!ctx.ok()) QSKIP(qPrintable(QString::fromStdString("no Vulkan device: " + ctx.message())));
        const auto& mem = (*ctx)->memory_properties();
        for (std::uint32_t i = 0; i < mem.memoryHeapCount; ++i) QVERIFY(mem.memoryHeaps[i].size <= 1048576);
        validation_before_ = vk::validation_message_count();
    }

    // A device whose memory cannot hold the model: the backend is refused with the figures and
    // the factory runs the model on the CPU, saying why; the output is stories260K's known one.
    void tooLittleDeviceMemoryFallsBackToCpu() {
        Fault small("KVSCOPE_FAULT_DEVICE_MEMORY", "524288");
        auto direct = VulkanBackend::create(model_, options());
        QVERIFY(!direct.ok());
        QVERIFY2(direct.message().find("512.00 KiB of device memory") != std::string::npos &&
                     direct.message().find("weights") != std::string::npos,
                 direct.message().c_str());
        std::string reason;
        auto b = create_backend("vulkan", model_, options(), &reason);
        QVERIFY2(b.ok(), b.ok() ? "" : b.message().c_str());
        QCOMPARE(QString::fromStdString((*b)->name()), QString("cpu"));
        QVERIFY2(reason.find("running on the CPU") != std::string::npos &&
                     reason.find("512.00 KiB of device memory") != std::string::npos,
                 reason.c_str());
        GenerationSession s(model_, std::move(*b), greedy());
        QVERIFY(s.start(test::kStoriesPrompt).ok());
        QVERIFY(s.run(20).ok());
        QCOMPARE(s.tokens(), known_ids(25));
        QCOMPARE(vk::validation_message_count(), validation_before_);
    }

    // The device runs out of memory at every allocation the backend's creation makes, one run
    // per allocation: each gives an error naming VK_ERROR_OUT_OF_DEVICE_MEMORY and frees what was
    // made (the validation layer reports objects left behind). The first allocation after
    // creation is the read-back of captured attention: that forward pass fails, the cache is
    // left as it was, and the next pass (no capture) gives the CPU's logits.
    void outOfDeviceMemoryAtEveryAllocation() {
        int failures = 0;
        std::unique_ptr<VulkanBackend> survivor;
        for (int k = 1; k < 1000 && !survivor; ++k) {
            Fault fail("KVSCOPE_FAULT_FAIL_ALLOCATION", QByteArray::number(k));
            auto b = VulkanBackend::create(model_, options());
            if (b.ok()) {
                survivor = std::move(b).value();
                break;
            }
            ++failures;
            QVERIFY2(b.message().find("VK_ERROR_OUT_OF_DEVICE_MEMORY") != std::string::npos, b.message().c_str());
        }
        QVERIFY(survivor);
        QVERIFY2(failures > 20, qPrintable(QString::number(failures)));  // every buffer, weights included
        QCOMPARE(vk::validation_message_count(), validation_before_);

        const std::vector<int> prompt = known_ids(5);
        AttentionCapture capture;
        capture.mode = AttentionCapture::Mode::NewRows;
        ForwardOutput out;
        const Status failed = survivor->forward(prompt, 0, false, capture, out);
        QVERIFY(!failed.ok());
        QVERIFY2(failed.message().find("VK_ERROR_OUT_OF_DEVICE_MEMORY") != std::string::npos, failed.message().c_str());
        QCOMPARE(survivor->cache_length(), 0);
        QVERIFY(survivor->forward(prompt, 0, false, {}, out).ok());

        auto cpu = create_backend("cpu", model_, {}, nullptr);
        ForwardOutput ref;
        QVERIFY((*cpu)->forward(prompt, 0, false, {}, ref).ok());
        QCOMPARE(out.logits.size(), ref.logits.size());
        for (std::size_t i = 0; i < ref.logits.size(); ++i) QVERIFY(std::abs(out.logits[i] - ref.logits[i]) < 1e-3f);
        QCOMPARE(vk::validation_message_count(), validation_before_);
    }

    // The device is lost at its fourth submission (prefill, two decode steps, then lost): the
    // run ends with an error that says so, every later pass is refused, and a new backend on a
    // new device finishes the known text.
    void deviceLostMidRun() {
        std::unique_ptr<Backend> doomed;
        {
            Fault lose("KVSCOPE_FAULT_LOSE_DEVICE_AFTER", "4");
            auto b = create_backend("vulkan", model_, options(), nullptr);
            QVERIFY(b.ok());
            QCOMPARE(QString::fromStdString((*b)->name()), QString("vulkan"));
            doomed = std::move(*b);
        }
        GenerationSession s(model_, std::move(doomed), greedy());
        QVERIFY(s.start(test::kStoriesPrompt).ok());
        const Status run = s.run(20);
        QVERIFY(!run.ok());
        QVERIFY2(run.message().find("was lost (VK_ERROR_DEVICE_LOST)") != std::string::npos, run.message().c_str());
        QCOMPARE(s.tokens(), known_ids(5 + 3));  // the prompt, the prefill's token, two decode steps
        const auto again = s.step();
        QVERIFY(!again.ok());
        QVERIFY2(again.message().find("was lost") != std::string::npos, again.message().c_str());

        auto fresh = create_backend("vulkan", model_, options(), nullptr);
        QVERIFY(fresh.ok());
        GenerationSession s2(model_, std::move(*fresh), greedy());
        QVERIFY(s2.start(test::kStoriesPrompt).ok());
        QVERIFY(s2.run(56).ok());
        QCOMPARE(s2.tokens(), known_ids(61));
        QCOMPARE(vk::validation_message_count(), validation_before_);
    }

    // The command line: a lost device is exit status 1 with the message; too little device
    // memory runs on the CPU with the reason on stderr and the known text on stdout.
    void commandLine() {
        const test::CliEnvironment lose{{{"KVSCOPE_FAULT_LOSE_DEVICE_AFTER", "4"}}, {}};
        const auto lost = test::run_cli(test::stories_greedy_generate_args({"-n", "20", "--backend", "vulkan"}), lose);
        QCOMPARE(lost.exit_code, 1);
        QVERIFY2(lost.err.contains("kvscope-cli generate: Vulkan: the device") && lost.err.contains("was lost"),
                 qPrintable(lost.err));
        const test::CliEnvironment small{{{"KVSCOPE_FAULT_DEVICE_MEMORY", "524288"}}, {}};
        const auto cpu = test::run_cli(test::stories_greedy_generate_args({"-n", "56", "--backend", "vulkan"}), small);
        QCOMPARE(cpu.exit_code, 0);
        QVERIFY2(cpu.err.contains("running on the CPU") && cpu.err.contains("512.00 KiB of device memory"),
                 qPrintable(cpu.err));
        QCOMPARE(cpu.out.trimmed(), QString(test::kStoriesGreedyText));
    }
};

QTEST_GUILESS_MAIN(TestVkFailures)
#include "test_vk_failures.moc"
