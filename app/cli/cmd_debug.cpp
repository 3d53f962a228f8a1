// kvscope-cli debug: the step-through debugger for scripts (docs/DEBUGGER.md). Runs one prompt,
// stops at breakpoints, goes back, forces tokens and keeps branches, reading its commands from
// --script FILE, --exec "cmd; cmd" or (with neither) runs to the end; --session opens a saved
// session and --save writes one; --events writes every event as JSON Lines.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "command_registry.h"
#include "debug_commands.h"
#include "model_options.h"
#include "session/event_json.h"

namespace kvs::cli {
namespace {

// The options a saved session stands for, placed before the command line's own (which win).
std::vector<std::string> session_args(const DebugSessionFile& f) {
    std::vector<std::string> a;
    if (!f.synthetic.empty()) {
        a = {"--synthetic", f.synthetic, "--layers", std::to_string(f.synthetic_layers)};
    } else {
        a = {"--model", f.model_path};
        if (!f.tokenizer_path.empty()) a.insert(a.end(), {"--tokenizer", f.tokenizer_path});
    }
    a.insert(a.end(), {"--backend", f.backend, "--block-size", std::to_string(f.block_size), "--ctx",
                       std::to_string(f.context), "--temperature", std::to_string(f.sampling.temperature), "--top-k",
                       std::to_string(f.sampling.top_k), "--top-p", std::to_string(f.sampling.top_p), "--seed",
                       std::to_string(f.sampling.seed), "-n", std::to_string(f.max_new_tokens)});
    if (!f.use_cache) a.push_back("--no-cache");
    return a;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> split_commands(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : text) {
        if (ch == ';' || ch == '\n') {
            out.push_back(trimmed(cur));
            cur.clear();
        } else cur += ch;
    }
    out.push_back(trimmed(cur));
    return out;
}

int run_debug(const std::vector<std::string>& args_in) {
    ArgParser p("debug", "Step through a generation: breakpoints, rewind, forced tokens, branches. Commands come from "
                         "--script FILE or --exec; without either the run goes to the end (or the first breakpoint).");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    p.option("script", "FILE", "debugger commands, one per line ('-' reads standard input); see 'help'")
        .option("exec", "CMDS", "debugger commands separated by ';', run after --script")
        .option("break", "SPECS", "breakpoints separated by ';', e.g. \"pos=20;entropy>2.5\"")
        .option("session", "FILE", "open a saved session: its model, settings, prompt, branches and breakpoints "
                                    "(options given here override its settings)")
        .option("save", "FILE", "write the session as JSON at the end")
        .option("events", "FILE", "write every event (steps, rewinds, breakpoint hits, blocks...) as JSON Lines")
        .option("top", "K", "most likely next tokens recorded per step", "5");
    std::vector<std::string> args = args_in;
    DebugSessionFile saved;
    bool from_file = false;
    {
        // A first look for --session, whose settings go before the command line's.
        ArgParser first = p;
        if (auto s = first.parse(args); !s) return fail("debug", s.message());
        if (first.help_requested()) return std::printf("%s", first.help().c_str()), 0;
        if (first.has("session")) {
            auto f = read_debug_session(first.get("session"));
            if (!f) return fail("debug", f.message());
            saved = *f;
            from_file = true;
            std::vector<std::string> merged = session_args(saved);
            merged.insert(merged.end(), args.begin(), args.end());
            args = merged;
        }
    }
    if (auto s = p.parse(args); !s) return fail("debug", s.message());

    auto model = load_model_from_args(p);
    if (!model) return fail("debug", model.message());
    auto options = session_options_from_args(p);
    if (!options) return fail("debug", options.message());
    auto top = p.get_int("top");
    if (!top) return fail("debug", top.message());
    if (*top < 0) return fail("debug", "--top must be >= 0");
    options->top_report = *top;
    options->emit_op_costs = false;
    auto n = p.get_int("n");
    if (!n) return fail("debug", n.message());
    if (*n < 0) return fail("debug", "-n must be >= 0");
    auto block_size = p.get_int("block-size");
    auto ctx = p.get_int("ctx");
    if (!block_size || !ctx) return fail("debug", "--block-size and --ctx expect integers");

    std::unique_ptr<JsonLinesWriter> events;
    if (p.has("events")) {
        auto w = JsonLinesWriter::open(p.get("events"));
        if (!w) return fail("debug", w.message());
        events = std::move(*w);
    }
    auto backend = create_backend_from_args(p, *model);
    if (!backend) return fail("debug", backend.message());
    Debugger d(*model, std::move(*backend), *options, events.get());

    // What `save` writes besides the branches and breakpoints.
    saved.model_path = p.get("model");
    saved.tokenizer_path = p.get("tokenizer");
    saved.synthetic = p.get("synthetic");
    saved.synthetic_layers = p.has("synthetic") ? std::atoi(p.get("layers").c_str()) : 0;
    saved.backend = d.session().backend().name();
    saved.block_size = *block_size;
    saved.context = *ctx;
    saved.max_new_tokens = *n;

    if (from_file) {
        saved.sampling = options->sampling;
        saved.use_cache = options->use_cache;
        if (auto s = replay_debug_session(d, saved); !s) return fail("debug", s.message());
        std::fprintf(stdout, "opened %s: %zu branch(es), %zu breakpoint(s)\n", p.get("session").c_str(),
                     d.branches().size(), d.breakpoints().size());
    } else {
        if (auto s = d.start(p.get("prompt")); !s) return fail("debug", s.message());
        saved.prompt_ids.clear();
    }
    saved.prompt_text = p.get("prompt").empty() ? saved.prompt_text : p.get("prompt");

    DebugCommands commands(d, *n, saved);
    std::vector<std::string> lines;
    if (p.has("break"))
        for (const std::string& spec : split_commands(p.get("break")))
            if (!spec.empty()) lines.push_back("break " + spec);
    if (p.has("script")) {
        std::ifstream file;
        std::istream* in = &std::cin;
        if (p.get("script") != "-") {
            file.open(p.get("script"), std::ios::binary);
            if (!file) return fail("debug", "cannot open script '" + p.get("script") + "'");
            in = &file;
        }
        for (std::string line; std::getline(*in, line);) lines.push_back(trimmed(line));
    }
    if (p.has("exec"))
        for (const std::string& c : split_commands(p.get("exec"))) lines.push_back(c);
    if (!p.has("script") && !p.has("exec") && !from_file) lines.insert(lines.end(), {"run", "text"});

    int number = 0;
    for (const std::string& line : lines) {
        ++number;
        std::fflush(stdout);
        if (auto s = commands.execute(line); !s) {
            std::fflush(stdout);
            return fail("debug", "command " + std::to_string(number) + " '" + line + "': " + s.message());
        }
    }
    if (p.has("save"))
        if (auto s = commands.execute("save " + p.get("save")); !s) return fail("debug", s.message());
    if (events)
        if (auto s = events->close(); !s) return fail("debug", s.message());
    return 0;
}

const CommandRegistration reg{"debug", "step through a generation: breakpoints, rewind, force, branches, sessions",
                              run_debug};

}  // namespace
}  // namespace kvs::cli
