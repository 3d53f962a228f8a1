#pragma once
// Throughput measurements behind `kvscope-cli bench`: prefill tokens/s, decode tokens/s at chosen
// context lengths (with attention capture off and/or on), and the time of each op per pass.
#include <array>
#include <cstdint>
#include <vector>

#include "core/backend.h"
#include "core/op_kind.h"

namespace kvs::cli {

struct BenchPlan {
    int prompt_tokens = 128;        // prefill length
    std::vector<int> contexts;      // cache lengths at which decode is timed
    int decode_steps = 16;          // decode steps per timed block
    int repeats = 3;                // blocks per (context, capture mode); the median is reported
    bool capture_off = true;        // time decode without attention capture
    bool capture_rows = true;       // time decode with capture of the new rows
    std::uint64_t seed = 7;         // token ids are random: throughput does not depend on the text
};

struct DecodeFigure {
    int context = 0;
    double tokens_per_s_off = 0.0;   // 0 when not measured
    double tokens_per_s_rows = 0.0;  // 0 when not measured
    // (rows - off) / off time per token, in percent; only when both were measured.
    double capture_overhead_percent() const;
};

// Milliseconds per op, summed over layers: of one prefill and of one decode step (mean).
struct OpProfile {
    std::array<double, static_cast<std::size_t>(OpKind::Count)> prefill_ms{};
    std::array<double, static_cast<std::size_t>(OpKind::Count)> decode_ms{};
    double prefill_device_ms = -1.0;  // whole pass as the device measured it (-1: not measured)
    double decode_device_ms = -1.0;
    int decode_context = 0;
};

struct BenchResult {
    double prefill_ms = 0.0;
    double prefill_tokens_per_s = 0.0;
    std::vector<DecodeFigure> decode;
};

// Times prefill and decode on `backend` (created without per-op timing, so the figures carry
// no measurement overhead). The cache is rewound between measurements.
Result<BenchResult> run_throughput(Backend& backend, int vocab_size, const BenchPlan& plan);

// One prefill of plan.prompt_tokens and plan.decode_steps decode steps at the largest context on
// a backend created with measure_ops, summed per op.
Result<OpProfile> run_op_profile(Backend& backend, int vocab_size, const BenchPlan& plan);

}  // namespace kvs::cli
