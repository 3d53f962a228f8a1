// kvscope-cli generate --backend vulkan as a user runs it: the known text on the test device
// with validation on, and the fallback to the CPU (exit 0, reason on stderr) when no Vulkan
// driver can be found or the requested device does not exist.
#include <QtTest>

#include "cli_runner.h"
#include "test_paths.h"

using namespace kvs;

namespace {

test::CliResult generate(const QStringList& extra, const test::CliEnvironment& env = {}) {
    return test::run_cli(test::stories_greedy_generate_args(QStringList{"-n", "56", "--backend", "vulkan"} + extra),
                         env, 120000);
}

}  // namespace

class TestVkCli : public QObject {
    Q_OBJECT

private slots:
    void generatesTheKnownTextOnTheDevice() {
        const test::CliResult r = generate({"--validation"});
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
        QVERIFY2(r.err.contains("[vulkan on "), qPrintable(r.err));
        QVERIFY2(!r.err.contains("validation:"), qPrintable(r.err));  // no validation messages
    }

    void deviceChosenByEnvironment() {
        const test::CliResult r = generate({}, {{{"KVSCOPE_VK_DEVICE", "0"}}, {}});
        QCOMPARE(r.exit_code, 0);
        QVERIFY2(r.err.contains("[vulkan on "), qPrintable(r.err));
    }

    void noDriverFallsBackToCpuWithTheReason() {
        const test::CliResult r = generate({}, {{{"VK_DRIVER_FILES", "/nonexistent.json"}, {"VK_ICD_FILENAMES", "/nonexistent.json"}}, {}});
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
        QVERIFY2(r.err.contains("Vulkan unavailable, running on the CPU: "), qPrintable(r.err));
        QVERIFY2(r.err.contains("[cpu on "), qPrintable(r.err));
    }

    void unknownDeviceFallsBackWithTheDeviceList() {
        const test::CliResult r = generate({"--device", "no-such-gpu"});
        QCOMPARE(r.exit_code, 0);
        QVERIFY2(r.err.contains("no usable Vulkan device matches 'no-such-gpu'"), qPrintable(r.err));
        QVERIFY2(r.err.contains("[cpu on "), qPrintable(r.err));
        const test::CliResult by_index = generate({"--device", "9"});
        QVERIFY2(by_index.err.contains("index 9 out of range"), qPrintable(by_index.err));
    }
};

QTEST_GUILESS_MAIN(TestVkCli)
#include "test_vk_cli.moc"
