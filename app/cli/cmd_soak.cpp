// kvscope-cli soak: long runs, to see that memory stays flat. Decode steps in runs that restart
// on one backend whenever they stop (end of sequence, the context full, --run-length), and, in
// builds with the GUI, model load/unload cycles through the desktop application's window.
// Resident memory is sampled along the way and reported; nothing is asserted (a benchmark
// reports, the tests and the sanitizer build check). docs/RELIABILITY.md has figures.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "memory_series.h"
#include "model_options.h"
#include "process_memory.h"
#ifdef KVSCOPE_CLI_WITH_GUI
#include "gui_load_cycles.h"
#endif
#ifdef KVSCOPE_CLI_GUI_COMPANION
#include "gui_companion.h"
#endif

namespace kvs::cli {
namespace {

// Takes every event as a consumer would and keeps none (the figures are the engine's).
class CountingObserver : public EventObserver {
public:
    void on_event(const Event&) override { ++events; }
    std::int64_t events = 0;
};

struct DecodeReport {
    MemorySeries memory;
    int steps = 0, runs = 0;
    std::int64_t events = 0;
    double seconds = 0.0;
};

Result<DecodeReport> run_decode(const ArgParser& p, const std::shared_ptr<Model>& model, const std::string& prompt,
                                int total, int run_length, int samples) {
    KVS_ASSIGN(SessionOptions options, session_options_from_args(p));
    if (p.get("capture") == "new-rows") options.capture.mode = AttentionCapture::Mode::NewRows;
    else if (p.get("capture") != "off") return err("--capture expects off or new-rows, got '", p.get("capture"), "'");
    KVS_ASSIGN(auto backend, create_backend_from_args(p, model));
    CountingObserver sink;
    GenerationSession session(model, std::move(backend), options, &sink);
    DecodeReport r;
    r.memory.unit = "steps";
    const int every = std::max(1, total / std::max(1, samples));
    r.memory.warm = std::size_t(std::max(1, samples / 10));
    const auto begin = std::chrono::steady_clock::now();
    while (r.steps < total) {
        KVS_TRY(session.start(prompt));
        ++r.runs;
        KVS_ASSIGN(StepResult first, session.prefill());
        bool stopped = first.stopped;
        for (int in_run = 0; !stopped && r.steps < total && (run_length <= 0 || in_run < run_length); ++in_run) {
            KVS_ASSIGN(StepResult s, session.step());
            stopped = s.stopped;
            if (++r.steps % every == 0) r.memory.add(r.steps, resident_bytes());
        }
        if (!session.finished()) session.finish("limit");
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    r.events = sink.events;
    return r;
}

int run_soak(const std::vector<std::string>& args) {
    ArgParser p("soak", "Long runs for flat memory: decode steps in repeated runs and (GUI builds) model load/unload "
                        "cycles in the application window; reports resident memory along the way.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    p.option("steps", "N", "decode steps in all (0: none)", "10000")
        .option("run-length", "N", "restart the run after N steps (0: when it stops by itself)", "0")
        .option("capture", "MODE", "attention capture during the decode runs: off or new-rows", "off")
        .option("loads", "N", "model load/unload cycles in the application window (GUI builds; 0: none)", "0")
        .option("load-steps", "N", "steps run after each load", "16")
        .option("samples", "N", "memory samples per series", "20")
        .flag("json", "print the report as JSON");
    if (auto s = p.parse(args); !s) return fail("soak", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    const std::string prompt = p.has("prompt") ? p.get("prompt") : "Once upon a time";
    int steps = 0, run_length = 0, loads = 0, load_steps = 0, samples = 0;
    for (auto [name, out] : {std::pair{"steps", &steps}, {"run-length", &run_length}, {"loads", &loads},
                             {"load-steps", &load_steps}, {"samples", &samples}}) {
        auto v = p.get_int(name);
        if (!v) return fail("soak", v.message());
        if (*v < 0) return fail("soak", std::string("--") + name + " must be >= 0");
        *out = *v;
    }
#ifdef KVSCOPE_CLI_GUI_COMPANION
    // The load cycles run in the application's window, which the GUI companion links: it runs
    // the whole command, decode runs included, so that one report holds both.
    if (loads > 0) return run_in_gui_companion("soak", args);
#endif

    nlohmann::json report;
    if (steps > 0) {
        auto model = load_model_from_args(p);
        if (!model) return fail("soak", model.message());
        auto r = run_decode(p, *model, prompt, steps, run_length, samples);
        if (!r) return fail("soak", r.message());
        report["decode"] = r->memory.to_json();
        report["decode"]["steps"] = r->steps;
        report["decode"]["runs"] = r->runs;
        report["decode"]["events"] = r->events;
        report["decode"]["seconds"] = r->seconds;
        if (!p.is_set("json"))
            std::printf("decode: %d steps in %d runs, %lld events, %.1f s\n  %s\n", r->steps, r->runs,
                        static_cast<long long>(r->events), r->seconds, r->memory.summary().c_str());
    }
    if (loads > 0) {
#ifdef KVSCOPE_CLI_WITH_GUI
        GuiCycleOptions o;
        o.model = p.get("model");
        o.tokenizer = p.get("tokenizer");
        o.synthetic = p.get("synthetic");
        auto layers = p.get_int("layers");
        o.layers = layers ? *layers : 0;
        o.cycles = loads;
        o.steps = load_steps;
        o.backend = p.get("backend");
        o.samples = samples;
        if (o.model.empty() && o.synthetic.empty()) return fail("soak", "--loads needs --model PATH or --synthetic PRESET");
        auto r = run_gui_load_cycles(o);
        if (!r) return fail("soak", r.message());
        report["loads"] = r->memory.to_json();
        report["loads"]["cycles"] = loads;
        report["loads"]["steps_per_cycle"] = load_steps;
        report["loads"]["seconds"] = r->seconds;
        if (!p.is_set("json"))
            std::printf("GUI: %d load/unload cycles with %d steps each, %.1f s\n  %s\n", loads, load_steps, r->seconds,
                        r->memory.summary().c_str());
#else
        return fail("soak", "--loads needs a build with the GUI (KVSCOPE_BUILD_GUI)");
#endif
    }
    if (p.is_set("json")) std::printf("%s\n", report.dump(2).c_str());
    return 0;
}

const CommandRegistration reg{"soak", "long runs: memory over many decode steps and model load cycles", run_soak};

}  // namespace
}  // namespace kvs::cli
