// kvscope-cli trace: runs a generation like `generate` and writes its events to files: JSON
// Lines (--out) and/or CSV tables (--csv DIR). The formats are described in docs/EVENTS.md.
#include <charconv>
#include <cstdio>
#include <memory>

#include "command_registry.h"
#include "model_options.h"
#include "session/event_csv.h"
#include "session/event_json.h"

namespace kvs::cli {
namespace {

// Hands every event to each writer and counts them per type for the summary.
class FanOutObserver : public EventObserver {
public:
    void add(EventObserver* o) { observers_.push_back(o); }
    void on_event(const Event& event) override {
        ++counts_[event.index()];
        for (auto* o : observers_) o->on_event(event);
    }
    std::int64_t count(std::size_t type_index) const { return counts_[type_index]; }

private:
    std::vector<EventObserver*> observers_;
    std::int64_t counts_[std::variant_size_v<Event>] = {};
};

// "0,3,5" -> {0, 3, 5}, each in [0, limit).
Result<std::vector<int>> parse_index_list(const std::string& text, const char* option, int limit, const char* what) {
    std::vector<int> out;
    if (text.empty()) return out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        int v = -1;
        auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc() || p != item.data() + item.size())
            return err("--", option, " expects comma-separated integers like 0,3, got '", text, "'");
        if (v < 0 || v >= limit)
            return err("--", option, ": ", what, " ", v, " does not exist (the model has ", limit, ", numbered 0..",
                       limit - 1, ")");
        out.push_back(v);
        start = comma + 1;
    }
    return out;
}

Result<AttentionCapture> capture_from_args(const ArgParser& p, const ModelConfig& cfg) {
    AttentionCapture c;
    const std::string mode = p.get("capture");
    if (mode == "off") c.mode = AttentionCapture::Mode::Off;
    else if (mode == "new-rows") c.mode = AttentionCapture::Mode::NewRows;
    else if (mode == "full") c.mode = AttentionCapture::Mode::Full;
    else return err("--capture expects off, new-rows or full, got '", mode, "'");
    KVS_ASSIGN(c.layers, parse_index_list(p.get("attn-layers"), "attn-layers", cfg.n_layers, "layer"));
    KVS_ASSIGN(c.heads, parse_index_list(p.get("attn-heads"), "attn-heads", cfg.n_heads, "query head"));
    return c;
}

int run_trace(const std::vector<std::string>& args) {
    ArgParser p("trace", "Run a generation and write its per-step events (steps, KV growth, attention, op costs) "
                         "to JSON Lines and/or CSV files.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    add_prompts_option(p);
    p.option("out", "FILE", "write every event as one JSON object per line (JSON Lines)")
        .option("csv", "DIR", "write steps.csv, kv.csv, attention.csv, op_costs.csv, blocks.csv, pool.csv, "
                              "memory.csv and prefix_hits.csv into DIR")
        .option("capture", "MODE", "attention probabilities: off, new-rows (rows computed each step) or full "
                                   "(the whole matrix every step)", "new-rows")
        .option("attn-layers", "LIST", "capture attention of these layers only, e.g. 0,1 (default: all)")
        .option("attn-heads", "LIST", "capture attention of these query heads only, e.g. 0,3 (default: all)")
        .option("top", "K", "most likely next tokens reported per step", "5")
        .flag("no-op-costs", "leave out the per-op FLOP/byte events")
        .flag("measure-ops", "time each op (CPU wall clock / GPU timestamps) into the op cost events");
    if (auto s = p.parse(args); !s) return fail("trace", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    if (!p.has("out") && !p.has("csv")) return fail("trace", "give --out FILE and/or --csv DIR (see trace --help)");

    auto model = load_model_from_args(p);
    if (!model) return fail("trace", model.message());
    auto options = session_options_from_args(p);
    if (!options) return fail("trace", options.message());
    auto capture = capture_from_args(p, (*model)->config);
    if (!capture) return fail("trace", capture.message());
    options->capture = *capture;
    auto top = p.get_int("top");
    if (!top) return fail("trace", top.message());
    if (*top < 0) return fail("trace", "--top must be >= 0");
    options->top_report = *top;
    options->emit_op_costs = !p.is_set("no-op-costs");
    auto n = p.get_int("n");
    if (!n) return fail("trace", n.message());
    if (*n < 0) return fail("trace", "-n must be >= 0");
    auto prompts = prompts_from_args(p);
    if (!prompts) return fail("trace", prompts.message());

    FanOutObserver fan;
    std::unique_ptr<JsonLinesWriter> json;
    std::unique_ptr<CsvEventWriter> csv;
    if (p.has("out")) {
        auto w = JsonLinesWriter::open(p.get("out"));
        if (!w) return fail("trace", w.message());
        json = std::move(*w);
        fan.add(json.get());
    }
    if (p.has("csv")) {
        auto w = CsvEventWriter::open(p.get("csv"));
        if (!w) return fail("trace", w.message());
        csv = std::move(*w);
        fan.add(csv.get());
    }
    auto backend = create_backend_from_args(p, *model, p.is_set("measure-ops"), int(prompts->size()));
    if (!backend) return fail("trace", backend.message());

    warn_about_run(**model, *prompts, *n, (*backend)->kv_layout().capacity);
    GenerationSession session(*model, std::move(*backend), *options, &fan);
    if (auto s = session.start_many(*prompts); !s) return fail("trace", s.message());
    const Status run = session.run(*n);
    if (json)
        if (auto s = json->close(); !s) return fail("trace", s.message());
    if (csv)
        if (auto s = csv->close(); !s) return fail("trace", s.message());
    if (!run) return fail("trace", run.message());

    std::fprintf(stderr, "[%s] %d sequence(s), %d prompt + %d new tokens (first), stop: %s; %lld steps, %lld kv, "
                         "%lld attention, %lld op cost, %lld block events written\n",
                 session.backend().name().c_str(), session.sequences(), session.prompt_length(), session.generated(),
                 session.stop_reason().c_str(), static_cast<long long>(fan.count(2)),
                 static_cast<long long>(fan.count(3)), static_cast<long long>(fan.count(4)),
                 static_cast<long long>(fan.count(5)), static_cast<long long>(fan.count(7)));
    return 0;
}

const CommandRegistration reg{"trace", "generate and write per-step events to JSON Lines / CSV", run_trace};

}  // namespace
}  // namespace kvs::cli
