// Events written as JSON Lines and CSV tables, read back and compared.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <sstream>

#include "session/event_csv.h"
#include "session/event_json.h"

using namespace kvs;

namespace {

std::vector<Event> sample_events() {
    RunStarted run;
    run.config.name = "tiny";
    run.config.dim = 8;
    run.config.hidden_dim = 16;
    run.config.n_layers = 2;
    run.config.n_heads = 2;
    run.config.n_kv_heads = 1;
    run.config.vocab_size = 300;
    run.config.max_seq_len = 32;
    run.config.rope_style = RopeStyle::HalfRotate;
    run.backend = "cpu";
    run.device = "Eigen on 2 threads";
    run.kv_layout = KvLayout{2, 1, 4, 32, 1, KvDtype::F16, 8, 6};
    run.prompt_tokens = {1, 75, 108};
    run.prompt_labels = {"<s>", "H", "i"};
    run.prefix_cache = true;
    run.sequences = {{0, {1, 75, 108}, {"<s>", "H", "i"}}, {1, {1, 75}, {"<s>", "H"}}};
    run.cached_blocks = {4, 2};

    StepFinished step;
    step.step = 0;
    step.sequence = 1;
    step.phase = Phase::Prefill;
    step.n_positions = 3;
    step.input_tokens = {1, 75, 108};
    step.sampled_token = 47;
    step.sampled_label = "a, \"quoted\" label";
    step.sampled_text = "line\nbreak";
    step.top = {{47, 0.5f, "a"}, {48, 0.1f, "b"}};
    step.top_filtered = {{48, 1.0f, "b"}};
    step.entropy = 1.5;
    step.argmax = 47;
    step.forced = true;
    step.sampler_token = 47;
    step.wall_ms = 1.25;

    AttentionEvent att;
    att.step = 1;
    att.sequence = 1;
    att.layer = 1;
    att.head = 1;
    att.kv_head = 0;
    att.first_query = 1;
    att.n_queries = 2;
    att.n_keys = 3;
    att.probs = {0.25f, 0.75f, 0.0f, 0.2f, 0.3f, 0.5f};  // [2, 3], row 0 masked past key 1

    PoolState pool;
    pool.step = 1;
    pool.usage = {8, 6, 3, 1, 1, 2, 512, 3072, 1536, 512, 320, {{0, 4, 1, 1, 512, 256}, {1, 6, 2, 1, 1024, 384}}};

    return {run,
            StepStarted{0, 1, Phase::Prefill, 0, {1, 75, 108}},
            step,
            KvAppend{0, 1, 1, 0, 3, 48, 48, 512, 96, 1024, 72, 1},
            att,
            OpCostEvent{1, 1, -1, OpKind::Classifier, 4800.0, 9900.5, 1200.0, -1.0},
            RunFinished{2, 1, "limit", 3.5, {{0, 1, "limit"}, {1, 0, "eos"}}},
            BlockEvent{1, BlockEventKind::Copied, 5, 1, 0, 3, 1},
            PrefixHit{0, 1, 3, 2, 0, 2, 1234.5},
            pool,
            Rewound{3, 0, 7, 6},
            BranchChanged{3, BranchChanged::Kind::Switched, 2, 1, 4, 3},
            BreakpointHit{5, 0, 2, "text=a, \"b\"", "text 'a'"}};
}

std::string read_file(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

class TestEventFiles : public QObject {
    Q_OBJECT

private slots:
    void json_line_has_type_schema_and_fields() {
        const auto events = sample_events();
        const std::string line = event_to_json_line(events[2]);
        QVERIFY2(line.rfind(R"({"type":"step_finished","schema":2,"step":0,"sequence":1,)", 0) == 0, line.c_str());
        const auto j = nlohmann::json::parse(line);
        QCOMPARE(j.at("type").get<std::string>(), std::string("step_finished"));
        QCOMPARE(j.at("schema").get<int>(), kEventSchemaVersion);
        QCOMPARE(j.at("sampled_token").get<int>(), 47);
        QCOMPARE(j.at("phase").get<std::string>(), std::string("prefill"));
        QCOMPARE(j.at("top").size(), std::size_t(2));
        QCOMPARE(j.at("top")[1].at("probability").get<double>(), 0.1);  // shortest form of 0.1f
        const auto a = nlohmann::json::parse(event_to_json_line(events[4]));
        QCOMPARE(a.at("probs").size(), std::size_t(2));
        QCOMPARE(a.at("probs")[1][2].get<double>(), 0.5);
        const auto op = nlohmann::json::parse(event_to_json_line(events[5]));
        QCOMPARE(op.at("op").get<std::string>(), std::string("classifier"));
        QCOMPARE(op.at("layer").get<int>(), -1);
        QVERIFY(event_to_json_line(events[0]).find('\n') == std::string::npos);
    }

    void json_lines_round_trip() {
        QTemporaryDir dir;
        const QString path = dir.filePath("trace.jsonl");
        auto writer = JsonLinesWriter::open(path.toStdString());
        QVERIFY(writer.ok());
        const auto events = sample_events();
        for (const auto& e : events) (*writer)->on_event(e);
        QVERIFY((*writer)->close().ok());
        QCOMPARE((*writer)->lines_written(), std::int64_t(events.size()));

        std::ifstream in(path.toStdString());
        std::string line;
        std::size_t i = 0;
        while (std::getline(in, line)) {
            QVERIFY(i < events.size());
            auto back = parse_event_line(line);
            QVERIFY2(back.ok(), back.ok() ? "" : back.message().c_str());
            QCOMPARE(std::string(event_type_name(*back)), std::string(event_type_name(events[i])));
            QCOMPARE(event_to_json_line(*back), line);  // every field survives the trip
            ++i;
        }
        QCOMPARE(i, events.size());
        // Spot checks on the parsed structs themselves.
        const auto run = std::get<RunStarted>(*parse_event_line(event_to_json_line(events[0])));
        QCOMPARE(run.kv_layout.dtype, KvDtype::F16);
        QCOMPARE(run.config.rope_style, RopeStyle::HalfRotate);
        QCOMPARE(run.prompt_labels[2], std::string("i"));
        QCOMPARE(run.kv_layout.block_size, 8);
        QCOMPARE(run.kv_layout.n_blocks, 6);
        QCOMPARE(run.sequences[1].prompt_labels[1], std::string("H"));
        const auto block = std::get<BlockEvent>(*parse_event_line(event_to_json_line(events[7])));
        QCOMPARE(block.kind, BlockEventKind::Copied);
        QCOMPARE(block.source, 3);
        const auto pool = std::get<PoolState>(*parse_event_line(event_to_json_line(events[9])));
        QCOMPARE(pool.usage.sequences[1].bytes_held, std::int64_t(1024));
        QCOMPARE(pool.usage.sequences[1].waste_bytes(), std::int64_t(640));
        const auto att = std::get<AttentionEvent>(*parse_event_line(event_to_json_line(events[4])));
        QCOMPARE(att.probs, std::get<AttentionEvent>(events[4]).probs);
        const auto step = std::get<StepFinished>(*parse_event_line(event_to_json_line(events[2])));
        QCOMPARE(step.sampled_text, std::string("line\nbreak"));
        QCOMPARE(step.top[1].probability, 0.1f);
    }

    void bad_lines_are_reported() {
        QVERIFY(parse_event_line("{nope").message().find("not valid JSON") != std::string::npos);
        QVERIFY(parse_event_line(R"({"type":"kv_append","schema":1})").message().find("schema 1") != std::string::npos);
        auto missing = parse_event_line(R"({"type":"run_finished","schema":2,"steps":3})");
        QVERIFY(!missing.ok());
        QVERIFY2(missing.message().find("run_finished") != std::string::npos, missing.message().c_str());
        QVERIFY(parse_event_line(R"({"type":"teleport","schema":2})").message().find("teleport") != std::string::npos);
        QVERIFY(parse_event_line(R"({"type":"block","schema":2,"step":0,"kind":"stolen","block":1,"sequence":0,"logical":0,"source":-1,"refcount":1})")
                    .message()
                    .find("stolen") != std::string::npos);
        auto bad_rows = parse_event_line(R"({"type":"attention","schema":2,"step":0,"sequence":0,"layer":0,"head":0,"kv_head":0,
            "first_query":0,"n_queries":1,"n_keys":2,"probs":[[1.0]]})");
        QVERIFY(bad_rows.message().find("n_keys = 2") != std::string::npos);
    }

    void invalid_utf8_text_is_replaced_not_thrown() {
        StepFinished s;
        s.sampled_text = std::string("\xE2\x96", 2);  // the first two bytes of a 3-byte character
        const std::string line = event_to_json_line(s);
        QVERIFY(line.find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD
        QVERIFY(parse_event_line(line).ok());
    }

    void csv_tables() {
        QTemporaryDir dir;
        const QString sub = dir.filePath("tables");
        auto writer = CsvEventWriter::open(sub.toStdString());
        QVERIFY2(writer.ok(), writer.ok() ? "" : writer.message().c_str());
        for (const auto& e : sample_events()) (*writer)->on_event(e);
        QVERIFY((*writer)->close().ok());

        const auto steps = parse_csv(read_file(sub + "/steps.csv"));
        QCOMPARE(steps.size(), std::size_t(2));
        QCOMPARE(steps[0][0], std::string("step"));
        QCOMPARE(steps[0].size(), steps[1].size());
        QCOMPARE(steps[1][1], std::string("1"));
        QCOMPARE(steps[1][5], std::string("1 75 108"));
        QCOMPARE(steps[1][7], std::string("a, \"quoted\" label"));
        QCOMPARE(steps[1][8], std::string("line\nbreak"));
        QCOMPARE(steps[1][9], std::string("47 48"));
        QCOMPARE(steps[1][10], std::string("0.5 0.1"));

        const auto kv = parse_csv(read_file(sub + "/kv.csv"));
        QCOMPARE(kv.size(), std::size_t(2));
        QCOMPARE(kv[1], (std::vector<std::string>{"0", "1", "1", "0", "3", "48", "48", "512", "96", "1024", "72", "1"}));

        // Long format, causal entries only: row 0 (position 1) has 2 keys, row 1 has 3.
        const auto att = parse_csv(read_file(sub + "/attention.csv"));
        QCOMPARE(att[0], (std::vector<std::string>{"step", "sequence", "layer", "head", "query_pos", "key_pos", "prob"}));
        QCOMPARE(att.size(), std::size_t(1 + 2 + 3));
        QCOMPARE(att[2], (std::vector<std::string>{"1", "1", "1", "1", "1", "1", "0.75"}));
        QCOMPARE(att[5], (std::vector<std::string>{"1", "1", "1", "1", "2", "2", "0.5"}));

        const auto ops = parse_csv(read_file(sub + "/op_costs.csv"));
        QCOMPARE(ops.size(), std::size_t(2));
        QCOMPARE(ops[1], (std::vector<std::string>{"1", "1", "-1", "classifier", "4800", "9900.5", "1200", "-1"}));

        const auto blocks = parse_csv(read_file(sub + "/blocks.csv"));
        QCOMPARE(blocks[1], (std::vector<std::string>{"1", "copied", "5", "1", "0", "3", "1"}));
        // pool.csv: waste = held - formula = 1536 - 320; memory.csv: one row per sequence.
        const auto pool = parse_csv(read_file(sub + "/pool.csv"));
        QCOMPARE(pool[1].back(), std::string("1216"));
        const auto memory = parse_csv(read_file(sub + "/memory.csv"));
        QCOMPARE(memory.size(), std::size_t(3));
        QCOMPARE(memory[2], (std::vector<std::string>{"1", "1", "6", "2", "1", "1024", "384", "640"}));
        const auto hits = parse_csv(read_file(sub + "/prefix_hits.csv"));
        QCOMPARE(hits[1], (std::vector<std::string>{"0", "1", "3", "2", "0", "2", "1234.5"}));
    }

    void csv_quoting_and_parsing() {
        QCOMPARE(csv_field("plain"), std::string("plain"));
        QCOMPARE(csv_field("a,b"), std::string("\"a,b\""));
        QCOMPARE(csv_field("say \"hi\""), std::string("\"say \"\"hi\"\"\""));
        QCOMPARE(csv_field(" lead"), std::string("\" lead\""));
        const auto rows = parse_csv("a,\"b,c\",\"d\"\"e\"\r\n,x,\n");
        QCOMPARE(rows.size(), std::size_t(2));
        QCOMPARE(rows[0], (std::vector<std::string>{"a", "b,c", "d\"e"}));
        QCOMPARE(rows[1], (std::vector<std::string>{"", "x", ""}));
    }

    void unwritable_paths_are_errors() {
        auto w = JsonLinesWriter::open("/proc/nonexistent/dir/trace.jsonl");
        QVERIFY(!w.ok());
        QVERIFY(w.message().find("/proc/nonexistent/dir/trace.jsonl") != std::string::npos);
        QVERIFY(!CsvEventWriter::open("/proc/nonexistent/tables").ok());
    }
};

QTEST_GUILESS_MAIN(TestEventFiles)
#include "test_event_files.moc"
