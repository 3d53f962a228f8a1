#include "debug_commands.h"

#include <charconv>
#include <sstream>

namespace kvs::cli {
namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

Result<int> int_arg(const std::vector<std::string>& a, std::size_t i, const char* what, int fallback = -1,
                    bool required = true) {
    if (i >= a.size()) {
        if (!required) return fallback;
        return err(a[0], ": expected ", what);
    }
    int v = 0;
    const auto r = std::from_chars(a[i].data(), a[i].data() + a[i].size(), v);
    if (r.ec != std::errc() || r.ptr != a[i].data() + a[i].size())
        return err(a[0], ": expected ", what, " (an integer), got '", a[i], "'");
    return v;
}

// Printable: control bytes as \n, \t or \xNN.
std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else out += char(c);
    }
    return out;
}

const char* kHelp =
    "commands:\n"
    "  run [N]              continue until a breakpoint, N new tokens in all (default -n) or the end\n"
    "  step [N]             N steps (default 1), stopping at breakpoints\n"
    "  rewind STEP [drop]   go back to just before STEP; the old continuation stays as a branch unless 'drop'\n"
    "  force ID | force TEXT  the next step takes token ID (or the tokens of TEXT, one per step)\n"
    "  branch B STEP        a new branch from branch B just before its STEP, made active\n"
    "  switch B | drop B    make branch B active | drop branch B\n"
    "  break SPEC           add a breakpoint (pos=, token=, text=, entropy>, entropy<, top1<, not-argmax,\n"
    "                       attn=L,H,P>X, sink=L,H<X, cache-bytes>=N, cache-blocks>=N)\n"
    "  enable ID | disable ID | delete ID | breakpoints\n"
    "  show [STEP]          one step in detail (default: the last)\n"
    "  lens [STEP] [K]      logit lens of STEP: each layer's top K tokens (default: the last step, 5)\n"
    "  steps | branches | text\n"
    "  save FILE            write the session (model, settings, breakpoints, branches) as JSON\n";

}  // namespace

DebugCommands::DebugCommands(Debugger& debugger, int max_new_tokens, DebugSessionFile saved, std::FILE* out)
    : d_(debugger), max_new_(max_new_tokens), saved_(std::move(saved)), out_(out) {}

Status DebugCommands::execute(const std::string& raw) {
    std::string line = raw;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    const auto a = words(line);
    if (a.empty() || a[0][0] == '#') return {};
    const std::string& c = a[0];
    const std::string rest = line.find(c) + c.size() < line.size() ? line.substr(line.find(c) + c.size() + 1) : "";
    if (c == "help") {
        std::fputs(kHelp, out_);
        return {};
    }
    if (c == "run") return run(a);
    if (c == "step") return step(a);
    if (c == "force") return force(rest);
    if (c == "rewind") {
        KVS_ASSIGN(int s, int_arg(a, 1, "a step"));
        const bool drop = a.size() > 2 && a[2] == "drop";
        if (a.size() > 2 && !drop) return err("rewind: expected 'drop' or nothing after the step, got '", a[2], "'");
        KVS_TRY(d_.rewind(s, !drop));
        std::fprintf(out_, "rewound to step %d on branch %d: %zu tokens, cache %d positions\n", s, d_.active_branch(),
                     d_.session().tokens().size(), d_.session().backend().kv().length(d_.session().active().id));
        return {};
    }
    if (c == "branch") {
        KVS_ASSIGN(int b, int_arg(a, 1, "a branch"));
        KVS_ASSIGN(int s, int_arg(a, 2, "a step"));
        KVS_ASSIGN(int id, d_.branch(b, s));
        std::fprintf(out_, "branch %d from branch %d before step %d\n", id, b, s);
        return {};
    }
    if (c == "switch" || c == "drop") {
        KVS_ASSIGN(int b, int_arg(a, 1, "a branch"));
        KVS_TRY(c == "switch" ? d_.switch_branch(b) : d_.drop_branch(b));
        std::fprintf(out_, "%s branch %d\n", c == "switch" ? "switched to" : "dropped", b);
        return {};
    }
    if (c == "break") {
        if (rest.empty()) return err("break: expected a breakpoint spec");
        KVS_ASSIGN(Breakpoint b, parse_breakpoint(rest));
        const int id = d_.add_breakpoint(b);
        std::fprintf(out_, "breakpoint %d: %s\n", id, breakpoint_spec(b).c_str());
        return {};
    }
    if (c == "enable" || c == "disable" || c == "delete") {
        KVS_ASSIGN(int id, int_arg(a, 1, "a breakpoint id"));
        KVS_TRY(c == "delete" ? d_.remove_breakpoint(id) : d_.enable_breakpoint(id, c == "enable"));
        std::fprintf(out_, "breakpoint %d %s\n", id, c == "delete" ? "deleted" : c == "enable" ? "enabled" : "disabled");
        return {};
    }
    if (c == "breakpoints") return print_breakpoints(), Status{};
    if (c == "branches") return print_branches(), Status{};
    if (c == "steps") {
        for (const StepRecord& r : d_.records()) print_step(r, false);
        return {};
    }
    if (c == "show") {
        const auto& recs = d_.records();
        if (recs.empty()) return err("show: no step has run on this branch");
        KVS_ASSIGN(int s, int_arg(a, 1, "a step", int(recs.size()) - 1, false));
        if (s < 0 || s >= int(recs.size())) return err("show: step ", s, " has not run (0..", recs.size() - 1, ")");
        print_step(recs[std::size_t(s)], true);
        return {};
    }
    if (c == "lens") {
        const auto& recs = d_.records();
        if (recs.empty()) return err("lens: no step has run on this branch");
        KVS_ASSIGN(int s, int_arg(a, 1, "a step", int(recs.size()) - 1, false));
        KVS_ASSIGN(int k, int_arg(a, 2, "a number of tokens", 5, false));
        KVS_ASSIGN(const LogitLens lens, d_.logit_lens(s, k, d_.session().backend().name()));
        print_lens(s, lens);
        return {};
    }
    if (c == "text") {
        std::fprintf(out_, "text: %s\n", printable(d_.session().generated_text()).c_str());
        return {};
    }
    if (c == "save") {
        if (rest.empty()) return err("save: expected a file name");
        KVS_TRY(write_debug_session(rest, capture_debug_session(d_, saved_)));
        std::fprintf(out_, "saved %s\n", rest.c_str());
        return {};
    }
    return err("unknown command '", c, "' (try 'help')");
}

Status DebugCommands::run(const std::vector<std::string>& a) {
    KVS_ASSIGN(int n, int_arg(a, 1, "a token count", max_new_, false));
    KVS_ASSIGN(DebugStop stop, d_.run(n));
    print_stop(stop);
    return {};
}

Status DebugCommands::step(const std::vector<std::string>& a) {
    KVS_ASSIGN(int n, int_arg(a, 1, "a step count", 1, false));
    const std::size_t before = d_.records().size();
    KVS_ASSIGN(DebugStop stop, d_.step(n));
    for (std::size_t i = before; i < d_.records().size(); ++i) print_step(d_.records()[i], false);
    print_stop(stop);
    return {};
}

Status DebugCommands::force(const std::string& rest) {
    if (rest.empty()) return err("force: expected a token id or text");
    int id = 0;
    const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), id);
    if (r.ec == std::errc() && r.ptr == rest.data() + rest.size()) {
        KVS_TRY(d_.force(id));
        std::fprintf(out_, "next step takes token %d\n", id);
        return {};
    }
    std::string text = rest;
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    KVS_ASSIGN(int n, d_.force_text(text));
    std::fprintf(out_, "next %d step(s) take the tokens of \"%s\"\n", n, printable(text).c_str());
    return {};
}

std::string DebugCommands::position_text(const StepRecord& r) const {
    return std::to_string(r.step.first_pos + r.step.n_positions);
}

void DebugCommands::print_stop(const DebugStop& stop) {
    std::fprintf(out_, "stopped: %s after step %d on branch %d (%s)\n", to_string(stop.cause), stop.step,
                 d_.active_branch(), printable(stop.reason).c_str());
}

void DebugCommands::print_step(const StepRecord& r, bool detail) {
    const StepFinished& s = r.step;
    const float p = s.top.empty() ? 0.0f : s.top.front().probability;
    std::fprintf(out_, "step %d pos %s token %d '%s'%s top1 %.4f entropy %.4f cache %d positions, %d blocks, %lld B\n", s.step,
                 position_text(r).c_str(), s.sampled_token, printable(s.sampled_label).c_str(),
                 s.forced ? " (forced)" : "", p, s.entropy, r.cache_length, r.blocks,
                 static_cast<long long>(r.bytes_held));
    if (!detail) return;
    std::fprintf(out_, "  input %zu token(s) at %d, argmax %d, sampler drew %d, %.3f ms\n", s.input_tokens.size(),
                 s.first_pos, s.argmax, s.sampler_token, s.wall_ms);
    std::fprintf(out_, "  top (temperature 1):");
    for (const auto& t : s.top) std::fprintf(out_, " %d '%s' %.4f;", t.id, printable(t.label).c_str(), t.probability);
    std::fprintf(out_, "\n  top after filters:");
    for (const auto& t : s.top_filtered)
        std::fprintf(out_, " %d '%s' %.4f;", t.id, printable(t.label).c_str(), t.probability);
    std::fprintf(out_, "\n");
}

void DebugCommands::print_branches() {
    for (const BranchInfo& b : d_.branches()) {
        std::fprintf(out_, "%c branch %d parent %d fork %d steps %d blocks %d (own %d, shared %d) own %lld B shared %lld B%s%s: %s\n",
                     b.active ? '*' : ' ', b.id, b.parent, b.fork_step, b.steps, b.blocks, b.own_blocks, b.shared_blocks,
                     static_cast<long long>(b.own_bytes), static_cast<long long>(b.shared_bytes),
                     b.forced.empty() ? "" : " forced", b.stop_reason.empty() ? "" : (" " + b.stop_reason).c_str(),
                     printable(b.text).c_str());
    }
}

void DebugCommands::print_breakpoints() {
    for (const Breakpoint& b : d_.breakpoints())
        std::fprintf(out_, "breakpoint %d %s %s\n", b.id, b.enabled ? "enabled" : "disabled", breakpoint_spec(b).c_str());
}

// One line per layer: the layer, its entropy, where the final prediction ranks and how likely it
// is there, then the layer's most likely tokens.
void DebugCommands::print_lens(int step, const LogitLens& lens) {
    const Model& m = d_.model();
    auto label = [&](int id) { return m.tokenizer ? printable(m.tokenizer->token_label(id)) : std::to_string(id); };
    std::fprintf(out_, "logit lens of step %d (position %d predicts %d '%s')\n", step, lens.position, lens.final_token,
                 label(lens.final_token).c_str());
    for (const LensLayer& l : lens.layers) {
        std::fprintf(out_, "  %-9s entropy %6.3f  final rank %4d p %.4f  top:", l.layer < 0 ? "embedding" : ("layer " + std::to_string(l.layer)).c_str(),
                     l.entropy, l.final_rank, double(l.final_prob));
        for (const LensToken& t : l.top) std::fprintf(out_, " %d '%s' %.4f;", t.id, label(t.id).c_str(), double(t.prob));
        std::fprintf(out_, "\n");
    }
}

}  // namespace kvs::cli
