// kvscope-cli generate as a user runs it: exact stdout, ids, --no-cache and error exits.
#include <QtTest>

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
                                "--seed", "--backend", "--no-cache", "--ids", "--synthetic"})
            QVERIFY2(r.out.contains(opt), opt);
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "test_cli_generate.moc"
