// kvscope-cli generate as a user runs it: exact stdout, ids, --no-cache and error exits.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>

#include "cli_runner.h"
#include "test_paths.h"

using namespace kvs;

class TestCliGenerate : public QObject {
    Q_OBJECT
    static QString known_ids() {
        QStringList ids;
        for (int id : test::kStoriesGreedyIds) ids << QString::number(id);
        return ids.join(' ');
    }

private slots:
    void printsExactlyTheKnownText() {
        auto r = test::run_cli(test::stories_greedy_generate_args({"-n", "56"}));
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out, QString(test::kStoriesGreedyText) + "\n");
    }
    void printsTheKnownIds() {
        auto r = test::run_cli(test::stories_greedy_generate_args({"-n", "56", "--ids"}));
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out.trimmed(), known_ids());
    }
    void noCacheGivesTheSameIds() {
        auto r = test::run_cli(test::stories_greedy_generate_args({"-n", "56", "--ids", "--no-cache"}));
        QCOMPARE(r.exit_code, 0);
        QCOMPARE(r.out.trimmed(), known_ids());
    }
    // Three prompts in a file, decoded together: one line of ids each; the first is the known
    // run, the third repeats the first prompt (and so its tokens), whatever the block size or
    // the prefix cache.
    void promptsFromAFileAreDecodedTogether_data() {
        QTest::addColumn<QStringList>("extra");
        QTest::addRow("blocks of 16") << QStringList{};
        QTest::addRow("contiguous") << QStringList{"--block-size", "0"};
        QTest::addRow("blocks of 4, prefix cache") << QStringList{"--block-size", "4", "--prefix-cache"};
    }
    void promptsFromAFileAreDecodedTogether() {
        QFETCH(QStringList, extra);
        QTemporaryDir dir;
        QFile f(dir.filePath("prompts.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Once upon a time\n\nThe little dog\r\nOnce upon a time\n");
        f.close();
        QStringList args = test::stories_greedy_generate_args({"-n", "56", "--ids", "--prompts", f.fileName()});
        args.removeAt(args.indexOf("--prompt") + 1);
        args.removeAt(args.indexOf("--prompt"));
        auto r = test::run_cli(args + extra);
        QCOMPARE(r.exit_code, 0);
        const QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], known_ids());
        QCOMPARE(lines[2], known_ids());
        QVERIFY(lines[1].startsWith("1 "));
        QVERIFY2(r.err.contains("sequence 2:"), qPrintable(r.err));
    }
    void promptsFileErrors() {
        QTemporaryDir dir;
        QFile f(dir.filePath("empty.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("\n\n");
        f.close();
        auto r = test::run_cli(test::stories_greedy_generate_args({"--prompts", f.fileName()}));
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("--prompt or --prompts, not both"), qPrintable(r.err));
        QStringList args = test::stories_greedy_generate_args({"--prompts", f.fileName()});
        args.removeAt(args.indexOf("--prompt") + 1);
        args.removeAt(args.indexOf("--prompt"));
        r = test::run_cli(args);
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("holds no prompt"), qPrintable(r.err));
        r = test::run_cli(test::stories_greedy_generate_args({"--block-size", "-2"}));
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("--block-size must be >= 0"), qPrintable(r.err));
    }
    void missingModelFileIsAClearError() {
        auto r = test::run_cli({"generate", "--model", "/nonexistent/model.bin", "--prompt", "x"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("/nonexistent/model.bin"), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }
    void promptLongerThanContextIsAnError() {
        auto r = test::run_cli(test::stories_greedy_generate_args({"--ctx", "3"}));
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("context holds only 3"), qPrintable(r.err));
    }
    void unknownOptionIsAnError() {
        auto r = test::run_cli({"generate", "--frobnicate"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("unknown option '--frobnicate'"), qPrintable(r.err));
    }
    void helpListsEveryOption() {
        auto r = test::run_cli({"generate", "--help"});
        QCOMPARE(r.exit_code, 0);
        for (const char* opt : {"--model", "--tokenizer", "--prompt", "-n", "--temperature", "--top-k", "--top-p",
                                "--seed", "--backend", "--no-cache", "--ids", "--synthetic", "--prompts", "--block-size",
                                "--kv-blocks", "--prefix-cache"})
            QVERIFY2(r.out.contains(opt), opt);
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "test_cli_generate.moc"
