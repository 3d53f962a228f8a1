// The command line as a new user meets it: the tokenizer beside a llama2.c checkpoint is found
// as the app finds it, a prompt the vocabulary cannot spell and a limit past the context are
// reported, a file named .gguf that is not GGUF gets a GGUF error, and `info` prints floats as
// the model file writes them.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>

#include "cli_runner.h"
#include "test_paths.h"

using namespace kvs;

class TestCliFirstUse : public QObject {
    Q_OBJECT
private slots:
    void theTokenizerBesideTheCheckpointIsFound() {
        // stories260K ships with tok512.bin beside it; no --tokenizer.
        auto r = test::run_cli({"generate", "--model", QString::fromStdString(test::stories260k_bin()), "--prompt",
                                test::kStoriesPrompt, "--temperature", "0", "-n", "56"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
    }

    void makemoreSaysWhatItLeavesOutAndWhereItStops() {
        // makemore's vocabulary is '.' and a-z; its context is 16 positions.
        auto r = test::run_cli({"generate", "--model", QString::fromStdString(test::makemore_dir()), "--prompt",
                                "Once upon a time", "--temperature", "0", "-n", "30"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("'O'") && r.err.contains("(space)") && r.err.contains("3 times"), qPrintable(r.err));
        QVERIFY2(r.err.contains("-n 30") && r.err.contains("16 positions"), qPrintable(r.err));
    }

    void aFileNamedGgufThatIsNotOneGetsAGgufError() {
        QTemporaryDir dir;
        QFile f(dir.filePath("model.gguf"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();
        auto r = test::run_cli({"info", "--model", f.fileName()});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("GGUF"), qPrintable(r.err));
        QVERIFY2(!r.err.contains("llama2.c"), qPrintable(r.err));
    }

    void infoPrintsFloatsAsWritten() {
        // stories260K's config.json-less checkpoint uses llama2.c's 1e-5.
        auto r = test::run_cli({"info", "--model", QString::fromStdString(test::stories260k_bin())});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QString eps;
        for (const QString& line : r.out.split('\n'))
            if (line.startsWith("norm_eps")) eps = line.section(' ', -1);
        QCOMPARE(eps, QString("1e-05"));
    }
};

QTEST_MAIN(TestCliFirstUse)
#include "test_cli_first_use.moc"
