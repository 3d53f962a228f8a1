#pragma once
// Resident memory sampled over a long run, and what the `soak` report says about it: the level
// once warmed up, the level at the end, the growth between them and the highest sample.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kvs::cli {

struct MemorySeries {
    std::string unit;  // what `at` counts: "steps", "cycles"
    std::vector<std::pair<std::int64_t, std::int64_t>> samples;  // (at, resident bytes)
    std::size_t warm = 0;  // index of the sample taken once warmed up (the baseline)

    void add(std::int64_t at, std::int64_t bytes) { samples.emplace_back(at, bytes); }
    std::int64_t baseline() const { return samples.empty() ? 0 : samples[std::min(warm, samples.size() - 1)].second; }
    std::int64_t last() const { return samples.empty() ? 0 : samples.back().second; }
    std::int64_t highest_after_warmup() const;
    std::int64_t growth() const { return last() - baseline(); }

    // "resident 41.2 MiB after 1000 steps, 41.3 MiB after 10000 (+0.1 MiB), highest 41.4 MiB"
    std::string summary() const;
    nlohmann::json to_json() const;
};

}  // namespace kvs::cli
