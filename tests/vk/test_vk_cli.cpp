// kvscope-cli generate --backend vulkan as a user runs it: the known text on the test device
// with validation on, and the fallback to the CPU (exit 0, reason on stderr) when no Vulkan
// driver can be found or the requested device does not exist.
#include <QProcess>
#include <QProcessEnvironment>
#include <QtTest>

#include "test_paths.h"

using namespace kvs;

namespace {

struct Run {
    int exit_code = -1;
    QString out, err;
};

Run generate(const QStringList& extra, const QMap<QString, QString>& env = {}) {
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (auto it = env.begin(); it != env.end(); ++it) e.insert(it.key(), it.value());
    p.setProcessEnvironment(e);
    const QStringList args = QStringList{"generate",
                                         "--model",
                                         QString::fromStdString(test::stories260k_bin()),
                                         "--tokenizer",
                                         QString::fromStdString(test::stories260k_tokenizer()),
                                         "--prompt",
                                         test::kStoriesPrompt,
                                         "--temperature",
                                         "0",
                                         "-n",
                                         "56",
                                         "--backend",
                                         "vulkan"} +
                             extra;
    p.start(QString::fromUtf8(KVSCOPE_CLI_PATH), args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        r.err = "timed out";
        return r;
    }
    r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace

class TestVkCli : public QObject {
    Q_OBJECT

private slots:
    void generatesTheKnownTextOnTheDevice() {
        const Run r = generate({"--validation"});
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
        QVERIFY2(r.err.contains("[vulkan on "), qPrintable(r.err));
        QVERIFY2(!r.err.contains("validation:"), qPrintable(r.err));  // no validation messages
    }

    void deviceChosenByEnvironment() {
        const Run r = generate({}, {{"KVSCOPE_VK_DEVICE", "0"}});
        QCOMPARE(r.exit_code, 0);
        QVERIFY2(r.err.contains("[vulkan on "), qPrintable(r.err));
    }

    void noDriverFallsBackToCpuWithTheReason() {
        const Run r = generate({}, {{"VK_DRIVER_FILES", "/nonexistent.json"}, {"VK_ICD_FILENAMES", "/nonexistent.json"}});
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
        QVERIFY2(r.err.contains("Vulkan unavailable, running on the CPU: "), qPrintable(r.err));
        QVERIFY2(r.err.contains("[cpu on "), qPrintable(r.err));
    }

    void unknownDeviceFallsBackWithTheDeviceList() {
        const Run r = generate({"--device", "no-such-gpu"});
        QCOMPARE(r.exit_code, 0);
        QVERIFY2(r.err.contains("no usable Vulkan device matches 'no-such-gpu'"), qPrintable(r.err));
        QVERIFY2(r.err.contains("[cpu on "), qPrintable(r.err));
        const Run by_index = generate({"--device", "9"});
        QVERIFY2(by_index.err.contains("index 9 out of range"), qPrintable(by_index.err));
    }
};

QTEST_GUILESS_MAIN(TestVkCli)
#include "test_vk_cli.moc"
