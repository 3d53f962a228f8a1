#pragma once
// Request streams for the KV allocation simulator (kv_sim.h): prompt and output lengths drawn
// from a distribution, or read from a CSV file; optionally a shared prefix per group of requests
// (few-shot examples, a system prompt). The random draws use their own portable arithmetic on a
// 64-bit Mersenne twister, so a seed gives the same stream on every machine.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kvs {

struct SimRequest {
    int prompt_tokens = 0;   // including the shared prefix
    int output_tokens = 0;
    int prefix_group = -1;   // requests of one group start with the same prefix_tokens tokens
    int prefix_tokens = 0;
};

// "fixed:N", "uniform:A:B" (inclusive), "normal:MEAN:SD", "lognormal:MEAN:SD" (the mean and
// standard deviation of the lengths themselves). Draws are rounded and at least 1.
struct LengthDistribution {
    enum class Kind { Fixed, Uniform, Normal, LogNormal };
    Kind kind = Kind::Fixed;
    double a = 1.0, b = 0.0;
    std::string text;  // as given

    static Result<LengthDistribution> parse(std::string_view spec);
};

struct WorkloadSpec {
    int requests = 1000;
    LengthDistribution prompt;        // the part of the prompt after any shared prefix
    LengthDistribution output;
    int shared_prefix_tokens = 0;     // 0: no shared prefix
    int prefix_groups = 1;            // requests take group i % prefix_groups
    int max_length = 2048;            // prompt + output are cut to this
    std::uint64_t seed = 1;
};

Result<std::vector<SimRequest>> make_workload(const WorkloadSpec& spec);
// A CSV file with a header naming prompt_tokens and output_tokens, and optionally prefix_group and
// prefix_tokens; lengths are cut to max_length like drawn ones.
Result<std::vector<SimRequest>> read_workload_csv(const std::string& path, int max_length);

}  // namespace kvs
