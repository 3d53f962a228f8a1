#include "session/debug_session_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "model/json_file.h"
#include "session/event_json.h"

namespace kvs {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

DebugSessionFile capture_debug_session(const Debugger& d, DebugSessionFile f) {
    const GenerationSession& s = d.session();
    f.sampling = s.options().sampling;
    f.use_cache = s.options().use_cache;
    f.breakpoints.clear();
    for (const Breakpoint& b : d.breakpoints()) f.breakpoints.push_back({breakpoint_spec(b), b.enabled});
    f.branches.clear();
    for (const BranchInfo& b : d.branches()) {
        if (f.prompt_ids.empty()) f.prompt_ids.assign(b.tokens.begin(), b.tokens.begin() + s.prompt_length());
        f.branches.push_back({b.id, b.parent, b.fork_step, b.steps, b.forced, b.tokens});
    }
    f.active = d.active_branch();
    return f;
}

std::string debug_session_to_json(const DebugSessionFile& f) {
    ojson bps = ojson::array();
    for (const auto& b : f.breakpoints) bps.push_back({{"spec", b.spec}, {"enabled", b.enabled}});
    ojson branches = ojson::array();
    for (const auto& b : f.branches) {
        ojson forced = ojson::array();
        for (const auto& [step, token] : b.forced) forced.push_back({{"step", step}, {"token", token}});
        branches.push_back({{"id", b.id},
                            {"parent", b.parent},
                            {"fork_step", b.fork_step},
                            {"steps", b.steps},
                            {"forced", forced},
                            {"tokens", b.tokens}});
    }
    ojson j = {{"format", "kvscope-debug-session"},
               {"version", kDebugSessionVersion},
               {"model", {{"path", f.model_path}, {"tokenizer", f.tokenizer_path}, {"synthetic", f.synthetic},
                          {"layers", f.synthetic_layers}}},
               {"backend", f.backend},
               {"block_size", f.block_size},
               {"context", f.context},
               {"use_cache", f.use_cache},
               {"sampling", {{"temperature", shortest_float(f.sampling.temperature)}, {"top_k", f.sampling.top_k},
                             {"top_p", shortest_float(f.sampling.top_p)}, {"seed", f.sampling.seed}}},
               {"max_new_tokens", f.max_new_tokens},
               {"prompt", f.prompt_text},
               {"prompt_ids", f.prompt_ids},
               {"breakpoints", bps},
               {"branches", branches},
               {"active", f.active}};
    return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

namespace {

Result<int> int_in(const json& obj, const std::string& key, std::int64_t lo, std::int64_t hi, const std::string& origin) {
    KVS_ASSIGN(std::int64_t v, json_int(obj, key, origin));
    if (v < lo || v > hi) return err(origin, ": '", key, "' is ", v, ", expected ", lo, "..", hi);
    return int(v);
}

Result<std::vector<int>> int_list(const json& obj, const std::string& key, const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_array()) return err(origin, ": expected an array of integers '", key, "'");
    std::vector<int> out;
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > (1 << 30))
            return err(origin, ": '", key, "' holds ", json_brief(v), ", expected token ids (integers >= 0)");
        out.push_back(v.get<int>());
    }
    return out;
}

const json& object_at(const json& obj, const std::string& key, const std::string& origin, Status& st) {
    static const json empty = json::object();
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_object()) {
        st = err(origin, ": expected an object '", key, "'");
        return empty;
    }
    return *it;
}

}  // namespace

Result<DebugSessionFile> parse_debug_session(std::string_view text, const std::string& origin) {
    KVS_ASSIGN(json j, parse_json_text(text, origin));
    if (!j.is_object()) return err(origin, ": expected a JSON object");
    KVS_ASSIGN(std::string format, json_string_or(j, "format", "", origin));
    if (format != "kvscope-debug-session")
        return err(origin, ": 'format' is \"", format, "\", expected \"kvscope-debug-session\"");
    KVS_ASSIGN(int version, int_in(j, "version", 0, 1 << 20, origin));
    if (version != kDebugSessionVersion)
        return err(origin, ": version ", version, ", this build reads version ", kDebugSessionVersion);
    DebugSessionFile f;
    Status st;
    const json& model = object_at(j, "model", origin, st);
    KVS_TRY(st);
    const std::string mo = origin + " model";
    KVS_ASSIGN(f.model_path, json_string_or(model, "path", "", mo));
    KVS_ASSIGN(f.tokenizer_path, json_string_or(model, "tokenizer", "", mo));
    KVS_ASSIGN(f.synthetic, json_string_or(model, "synthetic", "", mo));
    KVS_ASSIGN(std::int64_t layers, json_int_or(model, "layers", 0, mo));
    if (layers < 0 || layers > 4096) return err(mo, ": 'layers' is ", layers, ", expected 0..4096");
    f.synthetic_layers = int(layers);
    KVS_ASSIGN(f.backend, json_string_or(j, "backend", "cpu", origin));
    KVS_ASSIGN(std::int64_t bs, json_int_or(j, "block_size", 16, origin));
    KVS_ASSIGN(std::int64_t ctx, json_int_or(j, "context", 0, origin));
    if (bs < 0 || bs > (1 << 24)) return err(origin, ": 'block_size' is ", bs, ", expected 0..", 1 << 24);
    if (ctx < 0 || ctx > (1 << 26)) return err(origin, ": 'context' is ", ctx, ", expected 0..", 1 << 26);
    f.block_size = int(bs);
    f.context = int(ctx);
    KVS_ASSIGN(f.use_cache, json_bool_or(j, "use_cache", true, origin));
    const json& sampling = object_at(j, "sampling", origin, st);
    KVS_TRY(st);
    const std::string so = origin + " sampling";
    KVS_ASSIGN(double t, json_number_or(sampling, "temperature", 0.0, so));
    KVS_ASSIGN(std::int64_t top_k, json_int_or(sampling, "top_k", 0, so));
    KVS_ASSIGN(double top_p, json_number_or(sampling, "top_p", 1.0, so));
    KVS_ASSIGN(std::int64_t seed, json_int_or(sampling, "seed", 42, so));
    if (!(t >= 0 && t <= 1e6)) return err(so, ": 'temperature' is ", t, ", expected >= 0");
    if (top_k < 0 || top_k > (1 << 30)) return err(so, ": 'top_k' is ", top_k, ", expected >= 0");
    if (!(top_p > 0 && top_p <= 1)) return err(so, ": 'top_p' is ", top_p, ", expected in (0, 1]");
    f.sampling = {float(t), int(top_k), float(top_p), std::uint64_t(seed)};
    KVS_ASSIGN(f.max_new_tokens, int_in(j, "max_new_tokens", 0, 1 << 26, origin));
    KVS_ASSIGN(f.prompt_text, json_string_or(j, "prompt", "", origin));
    KVS_ASSIGN(f.prompt_ids, int_list(j, "prompt_ids", origin));
    if (f.prompt_ids.empty()) return err(origin, ": 'prompt_ids' is empty, expected the prompt's token ids");

    const auto bps = j.find("breakpoints");
    if (bps != j.end()) {
        if (!bps->is_array()) return err(origin, ": 'breakpoints' must be an array");
        for (std::size_t i = 0; i < bps->size(); ++i) {
            const std::string bo = origin + " breakpoints[" + std::to_string(i) + "]";
            const json& b = (*bps)[i];
            if (!b.is_object()) return err(bo, ": expected an object");
            DebugSessionFile::SavedBreakpoint sb;
            KVS_ASSIGN(sb.spec, json_string_or(b, "spec", "", bo));
            KVS_ASSIGN(sb.enabled, json_bool_or(b, "enabled", true, bo));
            auto parsed = parse_breakpoint(sb.spec);
            if (!parsed) return err(bo, ": ", parsed.message());
            f.breakpoints.push_back(sb);
        }
    }
    const auto branches = j.find("branches");
    if (branches == j.end() || !branches->is_array() || branches->empty())
        return err(origin, ": expected a non-empty array 'branches'");
    std::vector<int> ids;
    for (std::size_t i = 0; i < branches->size(); ++i) {
        const std::string bo = origin + " branches[" + std::to_string(i) + "]";
        const json& b = (*branches)[i];
        if (!b.is_object()) return err(bo, ": expected an object");
        DebugSessionFile::SavedBranch sb;
        KVS_ASSIGN(sb.id, int_in(b, "id", 0, 1 << 30, bo));
        KVS_ASSIGN(sb.parent, int_in(b, "parent", -1, 1 << 30, bo));
        KVS_ASSIGN(sb.fork_step, int_in(b, "fork_step", 0, 1 << 26, bo));
        KVS_ASSIGN(sb.steps, int_in(b, "steps", 0, 1 << 26, bo));
        if (sb.parent >= 0 && std::find(ids.begin(), ids.end(), sb.parent) == ids.end())
            return err(bo, ": parent ", sb.parent, " is not a branch listed before it");
        if (std::find(ids.begin(), ids.end(), sb.id) != ids.end()) return err(bo, ": id ", sb.id, " appears twice");
        const auto forced = b.find("forced");
        if (forced != b.end()) {
            if (!forced->is_array()) return err(bo, ": 'forced' must be an array of {step, token}");
            for (const auto& x : *forced) {
                if (!x.is_object()) return err(bo, ": 'forced' must be an array of {step, token}");
                KVS_ASSIGN(int step, int_in(x, "step", 0, 1 << 26, bo + " forced"));
                KVS_ASSIGN(int token, int_in(x, "token", 0, 1 << 30, bo + " forced"));
                sb.forced[step] = token;
            }
        }
        if (b.contains("tokens")) {
            KVS_ASSIGN(sb.tokens, int_list(b, "tokens", bo));
        }
        ids.push_back(sb.id);
        f.branches.push_back(std::move(sb));
    }
    KVS_ASSIGN(f.active, int_in(j, "active", 0, 1 << 30, origin));
    if (std::find(ids.begin(), ids.end(), f.active) == ids.end())
        return err(origin, ": 'active' is ", f.active, ", which is not a listed branch");
    return f;
}

Result<DebugSessionFile> read_debug_session(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return err("cannot open debugging session '", path, "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_debug_session(ss.str(), "debugging session '" + path + "'");
}

Status write_debug_session(const std::string& path, const DebugSessionFile& f) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return err("cannot open '", path, "' for writing");
    out << debug_session_to_json(f);
    out.close();
    if (!out) return err("writing '", path, "' failed (disk full?)");
    return {};
}

namespace {

// Runs the active branch to `b.steps` steps with its forced tokens, then checks its tokens.
Status replay_branch(Debugger& d, const DebugSessionFile::SavedBranch& b) {
    GenerationSession& s = d.session();
    while (s.step_index() < b.steps) {
        if (s.finished())
            return err("session branch ", b.id, " ended (", s.stop_reason(), ") after ", s.step_index(),
                       " steps; the file says it ran ", b.steps);
        if (const auto it = b.forced.find(s.step_index()); it != b.forced.end()) {
            KVS_TRY(d.force(it->second));
        }
        KVS_ASSIGN(DebugStop stop, d.step(1));
        (void)stop;
    }
    const std::vector<int>& got = s.tokens();
    if (!b.tokens.empty()) {
        for (std::size_t i = 0; i < std::min(got.size(), b.tokens.size()); ++i)
            if (got[i] != b.tokens[i])
                return err("session branch ", b.id, ": position ", i, " is token ", got[i], " here but ", b.tokens[i],
                           " in the file (another model, settings or backend?)");
        if (got.size() != b.tokens.size())
            return err("session branch ", b.id, ": ", got.size(), " tokens here, ", b.tokens.size(), " in the file");
    }
    return {};
}

}  // namespace

Status replay_debug_session(Debugger& d, const DebugSessionFile& f) {
    KVS_TRY(d.start_ids(f.prompt_ids));
    // Breakpoints come last: replaying must not stop.
    for (int id : [&] { std::vector<int> ids; for (const auto& b : d.breakpoints()) ids.push_back(b.id); return ids; }())
        KVS_TRY(d.remove_breakpoint(id));
    std::map<int, int> ids;  // file id -> new id
    for (std::size_t i = 0; i < f.branches.size(); ++i) {
        const auto& b = f.branches[i];
        if (i == 0) {
            ids[b.id] = d.active_branch();
        } else {
            // A second root (its parent was dropped) starts from the first branch's prompt.
            const int parent = b.parent >= 0 ? ids.at(b.parent) : ids.at(f.branches.front().id);
            const int fork = b.parent >= 0 ? b.fork_step : 0;
            KVS_ASSIGN(ids[b.id], d.branch(parent, fork));
        }
        KVS_TRY(replay_branch(d, b));
    }
    for (const auto& b : f.breakpoints) {
        const int id = d.add_breakpoint(*parse_breakpoint(b.spec));
        KVS_TRY(d.enable_breakpoint(id, b.enabled));
    }
    return d.switch_branch(ids.at(f.active));
}

}  // namespace kvs
