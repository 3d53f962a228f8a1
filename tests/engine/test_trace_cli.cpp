// kvscope-cli trace end to end: the files it writes hold one step_finished per step, KV bytes
// that follow 2 x layers x kv_heads x head_dim x seq x bytes, and attention rows that sum to 1.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "session/event_csv.h"
#include "session/event_json.h"
#include "test_paths.h"

using namespace kvs;

namespace {

std::vector<Event> read_events(const QString& path, QString* error) {
    std::vector<Event> events;
    std::ifstream in(path.toStdString());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        auto e = parse_event_line(line);
        if (!e.ok()) {
            *error = QString("line %1: %2").arg(n).arg(QString::fromStdString(e.message()));
            return {};
        }
        events.push_back(std::move(*e));
    }
    return events;
}

std::string read_file(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct TraceSummary {
    RunStarted run;
    std::vector<StepFinished> steps;
    std::vector<AttentionEvent> attention;
    int kv_events = 0;
    int run_finished_steps = -1;
};

// Checks the invariants every trace must hold and fills `s` with what it read. Callers check
// QTest::currentTestFailed() afterwards.
void check_trace(const QString& jsonl, const QString& csv_dir, TraceSummary& s) {
    QString error;
    const auto events = read_events(jsonl, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(!events.empty());
    QVERIFY2(std::holds_alternative<RunStarted>(events.front()), "first event is not run_started");
    QVERIFY2(std::holds_alternative<RunFinished>(events.back()), "last event is not run_finished");
    s.run = std::get<RunStarted>(events.front());
    const ModelConfig& c = s.run.config;
    const int bytes = s.run.kv_layout.dtype == KvDtype::F16 ? 2 : 4;
    int started = 0;
    for (const auto& e : events) {
        if (std::holds_alternative<StepStarted>(e)) ++started;
        if (const auto* f = std::get_if<StepFinished>(&e)) s.steps.push_back(*f);
        if (const auto* r = std::get_if<RunFinished>(&e)) s.run_finished_steps = r->steps;
        if (const auto* k = std::get_if<KvAppend>(&e)) {
            ++s.kv_events;
            // After the step the cache holds first_pos + n_positions positions of every layer, in
            // ceil(positions / block size) blocks of block_size positions each.
            const std::int64_t seq = k->first_pos + k->n_positions;
            const std::int64_t per_position = 2LL * c.n_layers * c.n_kv_heads * c.head_dim() * bytes;
            const std::int64_t bs = s.run.kv_layout.block_size;
            const std::int64_t blocks = (seq + bs - 1) / bs;
            QVERIFY2(k->formula_bytes == seq * per_position && k->blocks == blocks &&
                         k->total_bytes_used == blocks * bs * per_position &&
                         k->layer_bytes_used * c.n_layers == k->total_bytes_used &&
                         k->bytes_written == 2LL * c.n_kv_heads * c.head_dim() * k->n_positions * bytes,
                     qPrintable(QString("step %1 layer %2: KV bytes used %3 in %4 blocks, expected %5 in %6")
                                    .arg(k->step).arg(k->layer).arg(k->total_bytes_used).arg(k->blocks)
                                    .arg(blocks * bs * per_position).arg(blocks)));
        }
        if (const auto* a = std::get_if<AttentionEvent>(&e)) s.attention.push_back(*a);
    }
    QCOMPARE_EQ(started, int(s.steps.size()));
    QCOMPARE_EQ(s.run_finished_steps, int(s.steps.size()));
    for (std::size_t i = 0; i < s.steps.size(); ++i) QCOMPARE_EQ(s.steps[i].step, int(i));
    QCOMPARE_EQ(s.kv_events, int(s.steps.size()) * c.n_layers);

    // Every causal row sums to 1 within 1e-5; entries past the causal limit are 0.
    for (const auto& a : s.attention) {
        QCOMPARE_EQ(int(a.probs.size()), a.n_queries * a.n_keys);
        QCOMPARE_EQ(a.kv_head, a.head / c.gqa_group());
        for (int q = 0; q < a.n_queries; ++q) {
            double sum = 0;
            for (int k = 0; k < a.n_keys; ++k) {
                const float p = a.probs[std::size_t(q) * a.n_keys + k];
                if (k > a.first_query + q) QCOMPARE_EQ(p, 0.0f);
                sum += p;
            }
            QVERIFY2(std::abs(sum - 1.0) <= 1e-5, qPrintable(QString("step %1 layer %2 head %3 row %4 sums to %5")
                                                                  .arg(a.step).arg(a.layer).arg(a.head).arg(q)
                                                                  .arg(sum, 0, 'g', 9)));
        }
    }

    if (!csv_dir.isEmpty()) {
        const auto steps = parse_csv(read_file(csv_dir + "/steps.csv"));
        QCOMPARE_EQ(steps.size(), s.steps.size() + 1);
        const auto kv = parse_csv(read_file(csv_dir + "/kv.csv"));
        QCOMPARE_EQ(int(kv.size()), s.kv_events + 1);
        // attention.csv: the probabilities of one (step, sequence, layer, head, query) sum to 1.
        std::map<std::vector<std::string>, double> row_sums;
        const auto att = parse_csv(read_file(csv_dir + "/attention.csv"));
        for (std::size_t i = 1; i < att.size(); ++i)
            row_sums[{att[i][0], att[i][1], att[i][2], att[i][3], att[i][4]}] += std::stod(att[i][6]);
        std::size_t expected_rows = 0;
        for (const auto& a : s.attention) expected_rows += std::size_t(a.n_queries);
        QCOMPARE_EQ(row_sums.size(), expected_rows);
        for (const auto& [key, sum] : row_sums)
            QVERIFY2(std::abs(sum - 1.0) <= 1e-5, "an attention.csv row does not sum to 1");
    }
}

}  // namespace

class TestTraceCli : public QObject {
    Q_OBJECT

private slots:
    void stories260k_trace() {
        QTemporaryDir dir;
        const QString out = dir.filePath("trace.jsonl"), csv = dir.filePath("tables");
        const auto r = test::run_cli({"trace", "--model", QString::fromStdString(test::stories260k_bin()),
                                      "--tokenizer", QString::fromStdString(test::stories260k_tokenizer()), "--prompt",
                                      test::kStoriesPrompt, "-n", "12", "--temperature", "0", "--out", out, "--csv",
                                      csv});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        TraceSummary s;
        check_trace(out, csv, s);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(int(s.steps.size()), 12);  // the prefill and 11 decode steps
        QCOMPARE(s.run.config.n_kv_heads, 4);
        // Greedy tokens are the known llama2.c output.
        const int prompt = int(s.run.prompt_tokens.size());
        for (int i = 0; i < 12; ++i) QCOMPARE(s.steps[i].sampled_token, test::kStoriesGreedyIds[prompt + i]);
        // Default capture: every layer and head, the new rows of each step.
        QCOMPARE(int(s.attention.size()), 12 * 5 * 8);
        QCOMPARE(s.attention.front().n_queries, prompt);
        QCOMPARE(s.attention.back().n_queries, 1);
    }

    void synthetic_trace_with_capture_filters() {
        QTemporaryDir dir;
        const QString out = dir.filePath("trace.jsonl");
        // The byte tokenizer, whatever vocabularies are on disk: "KV" is BOS and two bytes.
        const auto r = test::run_cli({"trace", "--synthetic", "stories260k", "--tokenizer", "bytes", "--prompt", "KV",
                                      "-n", "6", "--temperature", "0", "--out", out, "--capture", "full",
                                      "--attn-layers", "0,1", "--attn-heads", "0,3"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        TraceSummary s;
        check_trace(out, {}, s);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(int(s.steps.size()), 6);
        std::set<std::pair<int, int>> seen;
        for (const auto& a : s.attention) seen.insert({a.layer, a.head});
        QCOMPARE(seen, (std::set<std::pair<int, int>>{{0, 0}, {0, 3}, {1, 0}, {1, 3}}));
        // Full capture hands out the whole [seq, seq] matrix every step.
        const AttentionEvent& last = s.attention.back();
        QCOMPARE(last.first_query, 0);
        QCOMPARE(last.n_queries, last.n_keys);
        QCOMPARE(last.n_keys, 3 + 5);  // BOS + 2 prompt bytes, then 5 decoded positions
    }

    void uncached_trace_keeps_the_kv_formula() {
        QTemporaryDir dir;
        const QString out = dir.filePath("trace.jsonl"), csv = dir.filePath("csv");
        const auto r = test::run_cli({"trace", "--synthetic", "gpt2-124m", "--layers", "2", "--tokenizer", "bytes",
                                      "--prompt", "ab", "-n", "4", "--temperature", "0", "--no-cache", "--out", out,
                                      "--csv", csv, "--attn-heads", "5"});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        TraceSummary s;
        check_trace(out, csv, s);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(s.run.use_cache, false);
        QCOMPARE(int(s.steps.size()), 4);
        QCOMPARE(s.steps.back().n_positions, s.steps.back().first_pos + 3 + 3);  // whole sequence recomputed
        for (const auto& a : s.attention) QCOMPARE(a.head, 5);
    }

    void bad_options_are_errors() {
        auto r = test::run_cli({"trace", "--synthetic", "stories260k", "-n", "1"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("--out FILE and/or --csv DIR"), qPrintable(r.err));
        QTemporaryDir dir;
        r = test::run_cli({"trace", "--synthetic", "stories260k", "-n", "1", "--out", dir.filePath("t.jsonl"),
                           "--attn-layers", "0,9"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("layer 9 does not exist"), qPrintable(r.err));
        r = test::run_cli({"trace", "--synthetic", "stories260k", "-n", "1", "--out", dir.filePath("t.jsonl"),
                           "--capture", "some"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("off, new-rows or full"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestTraceCli)
#include "test_trace_cli.moc"
