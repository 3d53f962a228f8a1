#include "memory_series.h"

#include <algorithm>
#include <cstdio>

namespace kvs::cli {

namespace {
std::string mib(std::int64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
    return buf;
}
}  // namespace

std::int64_t MemorySeries::highest_after_warmup() const {
    std::int64_t high = 0;
    for (std::size_t i = std::min(warm, samples.size()); i < samples.size(); ++i) high = std::max(high, samples[i].second);
    return high;
}

std::string MemorySeries::summary() const {
    if (samples.empty()) return "no samples";
    const auto& base = samples[std::min(warm, samples.size() - 1)];
    const std::int64_t g = growth();
    return "resident " + mib(base.second) + " after " + std::to_string(base.first) + " " + unit + ", " + mib(last()) +
           " after " + std::to_string(samples.back().first) + " (" + (g >= 0 ? "+" : "-") + mib(g >= 0 ? g : -g) +
           "), highest " + mib(highest_after_warmup());
}

nlohmann::json MemorySeries::to_json() const {
    nlohmann::json j;
    j["unit"] = unit;
    j["baseline_bytes"] = baseline();
    j["final_bytes"] = last();
    j["growth_bytes"] = growth();
    j["highest_bytes"] = highest_after_warmup();
    nlohmann::json s = nlohmann::json::array();
    for (const auto& [at, bytes] : samples) s.push_back({{unit, at}, {"resident_bytes", bytes}});
    j["samples"] = s;
    return j;
}

}  // namespace kvs::cli
