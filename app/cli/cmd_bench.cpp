// kvscope-cli bench: prefill and decode throughput of a backend, the cost of attention capture,
// and where the time of a pass goes, op by op. Figures are printed, never asserted: a benchmark
// reports, the tests check correctness.
#include <charconv>
#include <optional>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench_runner.h"
#include "command_registry.h"
#include "cpu/thread_pool.h"
#include "memory_bandwidth.h"
#include "model_options.h"

namespace kvs::cli {
namespace {

Result<std::vector<int>> parse_contexts(const std::string& text) {
    std::vector<int> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        int v = 0;
        const char* first = text.data() + start;
        const char* last = text.data() + comma;
        auto [p, ec] = std::from_chars(first, last, v);
        if (ec != std::errc() || p != last || v < 1)
            return err("--contexts expects positive integers separated by commas, like 64,256, got '", text, "'");
        out.push_back(v);
        start = comma + 1;
    }
    if (out.empty()) return err("--contexts needs at least one context length");
    return out;
}

Result<BenchPlan> plan_from_args(const ArgParser& p) {
    BenchPlan plan;
    KVS_ASSIGN(plan.prompt_tokens, p.get_int("prompt-tokens"));
    KVS_ASSIGN(plan.decode_steps, p.get_int("steps"));
    KVS_ASSIGN(plan.repeats, p.get_int("repeat"));
    KVS_ASSIGN(plan.contexts, parse_contexts(p.get("contexts")));
    const std::string capture = p.get("capture");
    if (capture == "off") plan.capture_rows = false;
    else if (capture == "new-rows") plan.capture_off = false;
    else if (capture != "both") return err("--capture expects off, new-rows or both, got '", capture, "'");
    return plan;
}

// Weight bytes one decode step reads: every layer matrix and the classifier once, in the
// backend's storage (the embedding contributes one row).
double decode_weight_bytes(const Backend& backend, const Model& model) {
    return backend.weight_bytes() * double(model.weights.decode_matrix_values());
}

nlohmann::json to_json(const Backend& backend, const Model& model, const BenchPlan& plan, const BenchResult& r,
                       const OpProfile* profile, double bandwidth) {
    nlohmann::json j;
    const double step_bytes = decode_weight_bytes(backend, model);
    j["decode_weight_bytes_per_token"] = step_bytes;
    j["weight_storage_bytes"] = backend.weight_storage_bytes();
    if (bandwidth > 0) j["measured_read_gb_per_s"] = bandwidth / 1e9;
    j["backend"] = backend.name();
    j["device"] = backend.device_name();
    j["model"] = model.config.name;
    j["prompt_tokens"] = plan.prompt_tokens;
    j["decode_steps"] = plan.decode_steps;
    j["prefill_ms"] = r.prefill_ms;
    j["prefill_tokens_per_s"] = r.prefill_tokens_per_s;
    for (const DecodeFigure& f : r.decode) {
        nlohmann::json d{{"context", f.context}};
        if (f.tokens_per_s_off > 0) d["tokens_per_s_capture_off"] = f.tokens_per_s_off;
        if (f.tokens_per_s_rows > 0) d["tokens_per_s_capture_new_rows"] = f.tokens_per_s_rows;
        if (f.tokens_per_s_off > 0 && f.tokens_per_s_rows > 0)
            d["capture_overhead_percent"] = f.capture_overhead_percent();
        if (f.tokens_per_s_off > 0) {
            d["weight_gb_per_s"] = step_bytes * f.tokens_per_s_off / 1e9;
            if (bandwidth > 0) d["fraction_of_measured_bandwidth"] = step_bytes * f.tokens_per_s_off / bandwidth;
        }
        j["decode"].push_back(d);
    }
    if (profile) {
        nlohmann::json ops = nlohmann::json::object();
        for (int i = 0; i < static_cast<int>(OpKind::Count); ++i) {
            const auto k = static_cast<std::size_t>(i);
            if (profile->prefill_ms[k] == 0 && profile->decode_ms[k] == 0) continue;
            ops[to_string(static_cast<OpKind>(i))] = {{"prefill_ms", profile->prefill_ms[k]},
                                                      {"decode_ms_per_step", profile->decode_ms[k]}};
        }
        j["ops"] = ops;
        j["ops_decode_context"] = profile->decode_context;
        if (profile->prefill_device_ms >= 0) j["prefill_device_ms"] = profile->prefill_device_ms;
        if (profile->decode_device_ms >= 0) j["decode_device_ms_per_step"] = profile->decode_device_ms;
    }
    return j;
}

void print_text(const Backend& backend, const Model& model, const BenchPlan& plan, const BenchResult& r,
                const OpProfile* profile, double bandwidth) {
    std::printf("backend   %s\ndevice    %s\nmodel     %s (%d layers, dim %d, %d heads / %d KV heads)\n\n",
                backend.name().c_str(), backend.device_name().c_str(), model.config.name.c_str(),
                model.config.n_layers, model.config.dim, model.config.n_heads, model.config.n_kv_heads);
    std::printf("prefill   %d tokens in %.2f ms = %.1f tokens/s (median of %d)\n\n", plan.prompt_tokens, r.prefill_ms,
                r.prefill_tokens_per_s, plan.repeats);
    std::printf("decode (%d steps per block, median of %d blocks)\n", plan.decode_steps, plan.repeats);
    std::printf("  %8s  %16s  %20s  %16s\n", "context", "capture off t/s", "capture new-rows t/s", "capture overhead");
    for (const DecodeFigure& f : r.decode) {
        char off[32] = "-", rows[32] = "-", overhead[32] = "-";
        if (f.tokens_per_s_off > 0) std::snprintf(off, sizeof off, "%.1f", f.tokens_per_s_off);
        if (f.tokens_per_s_rows > 0) std::snprintf(rows, sizeof rows, "%.1f", f.tokens_per_s_rows);
        if (f.tokens_per_s_off > 0 && f.tokens_per_s_rows > 0)
            std::snprintf(overhead, sizeof overhead, "%+.1f%%", f.capture_overhead_percent());
        std::printf("  %8d  %16s  %20s  %16s\n", f.context, off, rows, overhead);
    }
    const double step_bytes = decode_weight_bytes(backend, model);
    std::printf("\nweights held: %.1f MB (%s)\n", double(backend.weight_storage_bytes()) / 1e6,
                backend.name() == "vulkan" ? "device buffers" : "host memory");
    std::printf("weight traffic: %.1f MB per decode step (%.4g bytes per matrix value)\n", step_bytes / 1e6,
                backend.weight_bytes());
    if (bandwidth > 0) std::printf("measured memory read bandwidth: %.2f GB/s\n", bandwidth / 1e9);
    for (const DecodeFigure& f : r.decode) {
        if (f.tokens_per_s_off <= 0) continue;
        const double gbs = step_bytes * f.tokens_per_s_off / 1e9;
        if (bandwidth > 0)
            std::printf("  context %6d: %.2f GB/s of weights (%.0f%% of the measured bandwidth)\n", f.context, gbs,
                        100.0 * gbs * 1e9 / bandwidth);
        else
            std::printf("  context %6d: %.2f GB/s of weights\n", f.context, gbs);
    }
    if (!profile) return;
    std::printf("\ntime per op (%s), summed over layers: one prefill of %d tokens, one decode step at context %d\n",
                backend.name() == "vulkan" ? "GPU timestamps" : "wall clock", plan.prompt_tokens,
                profile->decode_context);
    std::printf("  %-22s  %12s  %12s\n", "op", "prefill ms", "decode ms");
    double prefill_sum = 0, decode_sum = 0;
    for (int i = 0; i < static_cast<int>(OpKind::Count); ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (profile->prefill_ms[k] == 0 && profile->decode_ms[k] == 0) continue;
        std::printf("  %-22s  %12.3f  %12.3f\n", op_label(static_cast<OpKind>(i)), profile->prefill_ms[k],
                    profile->decode_ms[k]);
        prefill_sum += profile->prefill_ms[k];
        decode_sum += profile->decode_ms[k];
    }
    std::printf("  %-22s  %12.3f  %12.3f\n", "sum of ops", prefill_sum, decode_sum);
    if (profile->prefill_device_ms >= 0 && profile->decode_device_ms >= 0)
        std::printf("  %-22s  %12.3f  %12.3f\n", "whole pass (device)", profile->prefill_device_ms,
                    profile->decode_device_ms);
}

int run_bench(const std::vector<std::string>& args) {
    ArgParser p("bench", "Measure prefill and decode throughput, the cost of attention capture and the time of "
                         "each op. Token ids are random: speed does not depend on the text.");
    add_model_options(p);
    add_backend_options(p);
    p.option("prompt-tokens", "P", "prefill length", "128")
        .option("contexts", "LIST", "cache lengths at which decode is timed", "64,256,448")
        .option("steps", "N", "decode steps per timed block", "16")
        .option("repeat", "N", "timed blocks per measurement (the median is reported)", "3")
        .option("capture", "MODE", "attention capture during decode: off, new-rows or both (compare)", "both")
        .flag("no-ops", "skip the per-op timing pass")
        .flag("no-bandwidth", "skip measuring the memory read bandwidth (a second or two)")
        .flag("json", "machine-readable output");
    if (auto s = p.parse(args); !s) return fail("bench", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;

    auto plan = plan_from_args(p);
    if (!plan) return fail("bench", plan.message());
    auto model = load_model_from_args(p);
    if (!model) return fail("bench", model.message());
    const int vocab = (*model)->config.vocab_size;

    std::fprintf(stderr, "bench: timing prefill and decode...\n");
    auto backend = create_backend_from_args(p, *model, false);
    if (!backend) return fail("bench", backend.message());
    auto result = run_throughput(**backend, vocab, *plan);
    if (!result) return fail("bench", result.message());

    std::optional<OpProfile> profile;
    if (!p.is_set("no-ops")) {
        // Timing each op costs synchronisation, so it runs on a second backend created with
        // per-op timing; the first is released first, so that large models fit twice over.
        backend->reset();
        auto timed = create_backend_from_args(p, *model, true);
        if (!timed) return fail("bench", timed.message());
        backend = std::move(timed);
        std::fprintf(stderr, "bench: timing each op...\n");
        auto r = run_op_profile(**backend, vocab, *plan);
        if (!r) return fail("bench", r.message());
        profile = *r;
    }
    const OpProfile* prof = profile ? &*profile : nullptr;
    double bandwidth = 0.0;
    if (!p.is_set("no-bandwidth")) {
        auto threads = p.get_int("threads");
        bandwidth = measured_read_bandwidth(threads && *threads > 0 ? *threads : cpu::ThreadPool::hardware_threads());
    }
    if (p.is_set("json")) std::printf("%s\n", to_json(**backend, **model, *plan, *result, prof, bandwidth).dump(2).c_str());
    else print_text(**backend, **model, *plan, *result, prof, bandwidth);
    return 0;
}

const CommandRegistration reg{"bench", "prefill/decode tokens per second, capture overhead, time per op", run_bench};

}  // namespace
}  // namespace kvs::cli
