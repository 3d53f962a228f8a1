#include "bench_runner.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace kvs::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<int> random_tokens(int count, int vocab_size, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> pick(0, vocab_size - 1);
    std::vector<int> ids(static_cast<std::size_t>(count));
    for (int& id : ids) id = pick(rng);
    return ids;
}

AttentionCapture capture_of(bool rows) {
    AttentionCapture c;
    c.mode = rows ? AttentionCapture::Mode::NewRows : AttentionCapture::Mode::Off;
    return c;
}

// Decode `steps` tokens from a cache holding `context` positions; returns milliseconds.
Result<double> time_decode_block(Backend& backend, const std::vector<int>& tokens, int context, bool capture_rows) {
    backend.truncate_cache(context);
    const AttentionCapture capture = capture_of(capture_rows);
    ForwardOutput out;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const int token = tokens[i];
        KVS_TRY(backend.forward(std::span<const int>(&token, 1), context + static_cast<int>(i), false, capture, out));
    }
    return ms_since(start);
}

Status check_plan(const Backend& backend, const BenchPlan& plan) {
    const int capacity = backend.kv_layout().capacity;
    if (plan.prompt_tokens < 1 || plan.prompt_tokens > capacity)
        return err("--prompt-tokens ", plan.prompt_tokens, " must be in 1..", capacity, " (the cache capacity)");
    if (plan.decode_steps < 1) return err("--steps must be >= 1");
    if (plan.repeats < 1) return err("--repeat must be >= 1");
    for (int c : plan.contexts)
        if (c < 1 || c + plan.decode_steps > capacity)
            return err("context ", c, " plus ", plan.decode_steps, " decode steps does not fit the cache capacity of ",
                       capacity, " positions (use --ctx or smaller --contexts)");
    return {};
}

}  // namespace

double DecodeFigure::capture_overhead_percent() const {
    if (tokens_per_s_off <= 0.0 || tokens_per_s_rows <= 0.0) return 0.0;
    return 100.0 * (tokens_per_s_off / tokens_per_s_rows - 1.0);
}

Result<BenchResult> run_throughput(Backend& backend, int vocab_size, const BenchPlan& plan) {
    KVS_TRY(check_plan(backend, plan));
    std::mt19937_64 rng(plan.seed);
    BenchResult result;

    const std::vector<int> prompt = random_tokens(plan.prompt_tokens, vocab_size, rng);
    std::vector<double> prefill_times;
    ForwardOutput out;
    // One untimed pass first: first-touch page faults and pipeline warm-up are not throughput.
    for (int r = 0; r <= plan.repeats; ++r) {
        backend.truncate_cache(0);
        const auto start = Clock::now();
        KVS_TRY(backend.forward(prompt, 0, false, AttentionCapture{}, out));
        if (r > 0) prefill_times.push_back(ms_since(start));
    }
    result.prefill_ms = median(prefill_times);
    result.prefill_tokens_per_s = 1000.0 * plan.prompt_tokens / result.prefill_ms;

    for (int context : plan.contexts) {
        backend.truncate_cache(0);
        const std::vector<int> fill = random_tokens(context, vocab_size, rng);
        KVS_TRY(backend.forward(fill, 0, false, AttentionCapture{}, out));
        const std::vector<int> steps = random_tokens(plan.decode_steps, vocab_size, rng);
        KVS_TRY(time_decode_block(backend, steps, context, false));  // warm-up

        // Blocks alternate between the modes so that drift (clock boost, other load) hits both.
        std::vector<double> off_ms, rows_ms;
        for (int r = 0; r < plan.repeats; ++r) {
            if (plan.capture_off) {
                KVS_ASSIGN(double ms, time_decode_block(backend, steps, context, false));
                off_ms.push_back(ms);
            }
            if (plan.capture_rows) {
                KVS_ASSIGN(double ms, time_decode_block(backend, steps, context, true));
                rows_ms.push_back(ms);
            }
        }
        DecodeFigure f;
        f.context = context;
        if (!off_ms.empty()) f.tokens_per_s_off = 1000.0 * plan.decode_steps / median(off_ms);
        if (!rows_ms.empty()) f.tokens_per_s_rows = 1000.0 * plan.decode_steps / median(rows_ms);
        result.decode.push_back(f);
    }
    backend.truncate_cache(0);
    return result;
}

Result<OpProfile> run_op_profile(Backend& backend, int vocab_size, const BenchPlan& plan) {
    KVS_TRY(check_plan(backend, plan));
    std::mt19937_64 rng(plan.seed);
    OpProfile profile;
    ForwardOutput out;

    backend.truncate_cache(0);
    const std::vector<int> prompt = random_tokens(plan.prompt_tokens, vocab_size, rng);
    KVS_TRY(backend.forward(prompt, 0, false, AttentionCapture{}, out));  // warm-up
    backend.truncate_cache(0);
    KVS_TRY(backend.forward(prompt, 0, false, AttentionCapture{}, out));
    for (const OpTiming& t : out.op_times) profile.prefill_ms[static_cast<std::size_t>(t.op)] += t.ms;
    profile.prefill_device_ms = out.device_ms;

    const int context = plan.contexts.empty() ? plan.prompt_tokens : plan.contexts.back();
    profile.decode_context = context;
    backend.truncate_cache(0);
    KVS_TRY(backend.forward(random_tokens(context, vocab_size, rng), 0, false, AttentionCapture{}, out));
    double device_total = 0.0;
    bool device_measured = true;
    for (int i = 0; i < plan.decode_steps; ++i) {
        const int token = random_tokens(1, vocab_size, rng)[0];
        KVS_TRY(backend.forward(std::span<const int>(&token, 1), context + i, false, AttentionCapture{}, out));
        for (const OpTiming& t : out.op_times)
            profile.decode_ms[static_cast<std::size_t>(t.op)] += t.ms / plan.decode_steps;
        if (out.device_ms < 0) device_measured = false;
        device_total += out.device_ms;
    }
    if (device_measured) profile.decode_device_ms = device_total / plan.decode_steps;
    backend.truncate_cache(0);
    return profile;
}

}  // namespace kvs::cli
