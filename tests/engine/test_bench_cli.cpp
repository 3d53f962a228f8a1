// kvscope-cli bench reports what it promises: prefill and decode figures for every requested
// context with and without attention capture, a per-op breakdown that covers the Llama block's
// ops, and clear errors for plans that do not fit. Speeds are reported, never asserted.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "test_paths.h"

using namespace kvs;

class TestBenchCli : public QObject {
    Q_OBJECT

    static QStringList stories(QStringList extra) {
        QStringList args{"bench", "--model", QString::fromStdString(test::stories260k_bin()), "--tokenizer",
                         QString::fromStdString(test::stories260k_tokenizer())};
        return args + extra;
    }

private slots:
    void jsonHasEveryFigure() {
        const auto r = test::run_cli(stories({"--json", "--prompt-tokens", "20", "--contexts", "8,40", "--steps",
                                              "4", "--repeat", "1"}));
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(QString::fromStdString(j["backend"].get<std::string>()), QString("cpu"));
        QVERIFY(j["device"].get<std::string>().starts_with("CPU"));
        QCOMPARE(j["prompt_tokens"].get<int>(), 20);
        QVERIFY(j["prefill_tokens_per_s"].get<double>() > 0);
        QCOMPARE(int(j["decode"].size()), 2);
        QCOMPARE(j["decode"][0]["context"].get<int>(), 8);
        QCOMPARE(j["decode"][1]["context"].get<int>(), 40);
        for (const auto& d : j["decode"]) {
            QVERIFY(d["tokens_per_s_capture_off"].get<double>() > 0);
            QVERIFY(d["tokens_per_s_capture_new_rows"].get<double>() > 0);
            QVERIFY(d.contains("capture_overhead_percent"));
        }
        // Every op of a Llama block was timed.
        for (const char* op : {"qkv_projection", "rope", "attention_scores", "softmax", "attention_values",
                               "output_projection", "ffn_gate", "ffn_up", "ffn_down", "classifier"})
            QVERIFY2(j["ops"].contains(op), op);
        QCOMPARE(j["ops_decode_context"].get<int>(), 40);
    }

    void captureOffMeasuresOneMode() {
        const auto r = test::run_cli(stories({"--json", "--prompt-tokens", "8", "--contexts", "16", "--steps", "2",
                                              "--repeat", "1", "--capture", "off", "--no-ops"}));
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QVERIFY(j["decode"][0].contains("tokens_per_s_capture_off"));
        QVERIFY(!j["decode"][0].contains("tokens_per_s_capture_new_rows"));
        QVERIFY(!j.contains("ops"));
    }

    void planThatDoesNotFitIsRefused() {
        const auto r = test::run_cli(stories({"--contexts", "510", "--steps", "16"}));
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("context 510 plus 16 decode steps does not fit the cache capacity of 512"),
                 qPrintable(r.err));
        const auto bad = test::run_cli(stories({"--contexts", "64,x"}));
        QCOMPARE(bad.exit_code, 1);
        QVERIFY2(bad.err.contains("--contexts expects positive integers"), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestBenchCli)
#include "test_bench_cli.moc"
