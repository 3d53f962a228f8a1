// kvscope-cli kv-sim: how much of a fixed KV memory holds token states when requests are served
// with contiguous reservations or with paged blocks (and prefix sharing); docs/KV_SIM.md.
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arg_parser.h"
#include "command_registry.h"
#include "core/kv_footprint.h"
#include "kv/kv_sim.h"
#include "model/model_presets.h"

namespace kvs::cli {
namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "kvscope-cli kv-sim: %s\n", message.c_str());
    return 1;
}

// "16GiB", "40GB", "512MiB", "1e9": bytes.
Result<double> parse_bytes(const std::string& text) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (...) {
        return err("--memory: '", text, "' is not a size like 16GiB, 40GB or 1e9");
    }
    std::string unit = text.substr(used);
    for (char& c : unit) c = char(std::tolower(static_cast<unsigned char>(c)));
    const std::pair<const char*, double> units[] = {{"", 1},           {"b", 1},           {"kb", 1e3},
                                                    {"mb", 1e6},       {"gb", 1e9},        {"tb", 1e12},
                                                    {"kib", 1024.0},   {"mib", 1048576.0}, {"gib", 1073741824.0},
                                                    {"tib", 1099511627776.0}};
    for (const auto& [name, scale] : units)
        if (unit == name) {
            if (v <= 0) return err("--memory must be positive, got '", text, "'");
            return v * scale;
        }
    return err("--memory: unknown unit '", text.substr(used), "' (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)");
}

Result<std::vector<int>> parse_list(const std::string& text) {
    std::vector<int> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        try {
            std::size_t used = 0;
            const int v = std::stoi(text.substr(start, comma - start), &used);
            if (used != comma - start || v < 1) throw 0;
            out.push_back(v);
        } catch (...) {
            return err("--block-sizes expects positive integers like 1,8,16,32, got '", text, "'");
        }
        start = comma + 1;
    }
    return out;
}

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
    return buf;
}

int run_kv_sim(const std::vector<std::string>& args) {
    std::string presets;
    for (const auto& n : model_preset_names()) presets += (presets.empty() ? "" : ", ") + n;
    ArgParser p("kv-sim", "Serve a stream of requests from a fixed KV memory with contiguous reservations and with "
                          "paged blocks (and prefix sharing), and report how the memory is used.");
    p.option("preset", "NAME", "model shape from a preset (" + presets + ")")
        .option("layers", "N", "layers (overrides the preset)")
        .option("kv-heads", "N", "key/value heads (overrides the preset)")
        .option("head-dim", "N", "dimensions per head (overrides the preset)")
        .option("dtype", "TYPE", "stored type: f32, f16, bf16, q8_0, fp8, int4", "f16")
        .option("memory", "SIZE", "KV memory, e.g. 16GiB or 40GB", "16GiB")
        .option("max-length", "N", "longest sequence served (default: the preset's context, else 2048)")
        .option("requests", "N", "requests in the stream", "1000")
        .option("prompt-len", "DIST", "prompt lengths: fixed:N, uniform:A:B, normal:MEAN:SD, lognormal:MEAN:SD",
                "lognormal:256:200")
        .option("output-len", "DIST", "output lengths, as --prompt-len", "lognormal:512:400")
        .option("shared-prefix", "N", "tokens every prompt of a group starts with (few-shot examples)", "0")
        .option("prefix-groups", "K", "groups of requests sharing a prefix", "1")
        .option("workload", "FILE", "read requests from a CSV file (prompt_tokens, output_tokens[, prefix_group, "
                                    "prefix_tokens]) instead of drawing them")
        .option("block-sizes", "LIST", "block sizes of the paged strategies", "1,8,16,32")
        .option("sharing-block-size", "N", "block size of the paged strategy with prefix sharing", "16")
        .option("seed", "N", "seed of the drawn lengths", "1")
        .flag("json", "print a JSON object instead of the table");
    if (auto st = p.parse(args); !st.ok()) return fail(st.message());
    if (p.help_requested()) return std::fputs(p.help().c_str(), stdout), 0;

    KvShape shape;
    std::string model = "custom";
    int max_length = 2048;
    if (p.has("preset")) {
        auto preset = find_model_preset(p.get("preset"));
        if (!preset.ok()) return fail(preset.message());
        shape = {preset->config.n_layers, preset->config.n_kv_heads, preset->config.head_dim()};
        max_length = preset->config.max_seq_len;
        model = preset->name;
    } else if (!p.has("layers") || !p.has("kv-heads") || !p.has("head-dim")) {
        return fail("give --preset NAME, or all of --layers, --kv-heads and --head-dim (see kv-sim --help)");
    }
    auto int_opt = [&](const char* name, int& slot) -> Status {
        if (!p.has(name)) return {};
        KVS_ASSIGN(slot, p.get_int(name));
        return {};
    };
    WorkloadSpec w;
    int sharing_bs = 16, seed = 1;
    for (auto st : {int_opt("layers", shape.n_layers), int_opt("kv-heads", shape.n_kv_heads),
                    int_opt("head-dim", shape.head_dim), int_opt("max-length", max_length),
                    int_opt("requests", w.requests), int_opt("shared-prefix", w.shared_prefix_tokens),
                    int_opt("prefix-groups", w.prefix_groups), int_opt("sharing-block-size", sharing_bs),
                    int_opt("seed", seed)})
        if (!st.ok()) return fail(st.message());
    auto type = find_kv_storage_type(p.get("dtype"));
    if (!type.ok()) return fail(type.message());
    auto per_token = kv_footprint(shape, 1, 1, *type);
    if (!per_token.ok()) return fail(per_token.message());
    auto memory = parse_bytes(p.get("memory"));
    if (!memory.ok()) return fail(memory.message());
    auto block_sizes = parse_list(p.get("block-sizes"));
    if (!block_sizes.ok()) return fail(block_sizes.message());
    if (sharing_bs < 1) return fail("--sharing-block-size must be >= 1");

    w.max_length = max_length;
    w.seed = std::uint64_t(seed);
    Result<std::vector<SimRequest>> requests = err("no workload");
    if (p.has("workload")) {
        requests = read_workload_csv(p.get("workload"), max_length);
    } else {
        auto pl = LengthDistribution::parse(p.get("prompt-len"));
        if (!pl.ok()) return fail(pl.message());
        auto ol = LengthDistribution::parse(p.get("output-len"));
        if (!ol.ok()) return fail(ol.message());
        w.prompt = *pl;
        w.output = *ol;
        requests = make_workload(w);
    }
    if (!requests.ok()) return fail(requests.message());

    SimConfig cfg;
    cfg.max_length = max_length;
    cfg.memory_positions = (long long)(*memory / double(per_token->bytes_per_token));
    std::vector<SimStrategy> strategies = {{SimStrategy::Kind::MaxLength}, {SimStrategy::Kind::PowerOfTwo},
                                           {SimStrategy::Kind::Exact}};
    for (int bs : *block_sizes) strategies.push_back({SimStrategy::Kind::Paged, bs, false});
    strategies.push_back({SimStrategy::Kind::Paged, sharing_bs, true});
    std::vector<SimResult> results;
    for (const SimStrategy& s : strategies) {
        auto r = simulate_kv(cfg, *requests, s);
        if (!r.ok()) return fail(r.message());
        results.push_back(*r);
    }

    long long prompt_sum = 0, output_sum = 0;
    for (const SimRequest& r : *requests) prompt_sum += r.prompt_tokens, output_sum += r.output_tokens;
    const double n = double(requests->size());
    if (p.is_set("json")) {
        nlohmann::json j = {{"model", model},
                            {"layers", shape.n_layers},
                            {"kv_heads", shape.n_kv_heads},
                            {"head_dim", shape.head_dim},
                            {"dtype", type->name},
                            {"bytes_per_token", per_token->bytes_per_token},
                            {"memory_bytes", *memory},
                            {"memory_positions", cfg.memory_positions},
                            {"max_length", max_length},
                            {"requests", requests->size()},
                            {"mean_prompt_tokens", double(prompt_sum) / n},
                            {"mean_output_tokens", double(output_sum) / n}};
        j["strategies"] = nlohmann::json::array();
        for (const SimResult& r : results)
            j["strategies"].push_back({{"name", r.strategy.name()},
                                       {"block_size", r.strategy.kind == SimStrategy::Kind::Paged ? r.strategy.block_size : 0},
                                       {"prefix_sharing", r.strategy.prefix_sharing},
                                       {"capacity_positions", r.capacity},
                                       {"token_states", r.token_states},
                                       {"reserved", r.reserved},
                                       {"internal_waste", r.internal},
                                       {"external_waste", r.external},
                                       {"waste", r.waste()},
                                       {"mean_running", r.mean_running},
                                       {"max_running", r.max_running},
                                       {"preemptions", r.preemptions},
                                       {"prefix_hit_rate", r.prefix_hit_rate()},
                                       {"steps", r.steps},
                                       {"measured_steps", r.measured_steps},
                                       {"memory_bound", r.memory_bound}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model:     %s (%d layers, %d KV heads, head_dim %d, %s): %s per position\n", model.c_str(),
                shape.n_layers, shape.n_kv_heads, shape.head_dim, type->name.c_str(),
                format_binary_bytes(double(per_token->bytes_per_token)).c_str());
    std::printf("memory:    %s = %s positions; maximum length %s\n", format_binary_bytes(*memory).c_str(),
                group_thousands(cfg.memory_positions).c_str(), group_thousands(max_length).c_str());
    if (p.has("workload"))
        std::printf("workload:  %s, %zu requests\n", p.get("workload").c_str(), requests->size());
    else
        std::printf("workload:  %zu requests, prompt %s%s, output %s, seed %d\n", requests->size(),
                    w.prompt.text.c_str(),
                    w.shared_prefix_tokens > 0 ? (" after a shared prefix of " + std::to_string(w.shared_prefix_tokens) +
                                                  " tokens (" + std::to_string(w.prefix_groups) + " groups)").c_str()
                                               : "",
                    w.output.text.c_str(), seed);
    std::printf("           mean prompt %.1f, mean output %.1f tokens\n\n", double(prompt_sum) / n, double(output_sum) / n);
    std::printf("%-34s %7s %9s %9s %9s %11s %8s %7s %7s\n", "strategy", "tokens", "reserved", "internal", "external",
                "running", "preempt", "prefix", "steps");
    for (const SimResult& r : results)
        std::printf("%-34s %7s %9s %9s %9s %6.1f/%-4d %8d %7s %7d\n", r.strategy.name().c_str(),
                    percent(r.token_states).c_str(), percent(r.reserved).c_str(), percent(r.internal).c_str(),
                    percent(r.external).c_str(), r.mean_running, r.max_running, r.preemptions,
                    r.strategy.prefix_sharing ? percent(r.prefix_hit_rate()).c_str() : "-", r.steps);
    std::printf("\nShares of the memory (they add up to 100%%): tokens hold token states; reserved is held for tokens a\n"
                "request will still produce; internal is held but never used (past the final length, or the empty\n"
                "tail of last blocks); external is free but unusable by the waiting request. Averaged over the\n"
                "%s.\nrunning: requests served at once (mean/max); prefix: prompt positions the prefix cache "
                "supplied;\nsteps: until every request finished.\n",
                results.front().memory_bound ? "steps during which a request waited for memory"
                                              : "steps (no request ever waited: the memory exceeds the load)");
    return 0;
}

const CommandRegistration kRegistration{"kv-sim", "allocation simulator: contiguous reservation vs paged blocks",
                                        run_kv_sim};

}  // namespace
}  // namespace kvs::cli
