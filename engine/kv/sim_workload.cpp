#include "kv/sim_workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace kvs {
namespace {

Result<double> number(std::string_view s, std::string_view spec) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return err("length distribution '", spec, "': '", s, "' is not a number");
    return v;
}

// Uniform in (0, 1] from the top 53 bits, and a standard normal by Box-Muller: the same numbers
// with every standard library.
double unit(std::mt19937_64& rng) { return (double(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0); }
double standard_normal(std::mt19937_64& rng) {
    const double u = unit(rng), v = unit(rng);
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

int draw(const LengthDistribution& d, std::mt19937_64& rng) {
    double x = d.a;
    switch (d.kind) {
        case LengthDistribution::Kind::Fixed: break;
        case LengthDistribution::Kind::Uniform: x = d.a + std::floor(unit(rng) * (d.b - d.a + 1.0 - 1e-9)); break;
        case LengthDistribution::Kind::Normal: x = d.a + d.b * standard_normal(rng); break;
        case LengthDistribution::Kind::LogNormal: {
            // The log-normal whose own mean and standard deviation are a and b.
            const double s2 = std::log(1.0 + (d.b * d.b) / (d.a * d.a));
            x = std::exp(std::log(d.a) - 0.5 * s2 + std::sqrt(s2) * standard_normal(rng));
            break;
        }
    }
    return std::max(1, int(std::lround(x)));
}

void cut(SimRequest& r, int max_length) {
    r.prompt_tokens = std::min(r.prompt_tokens, max_length - 1);
    r.prefix_tokens = std::min(r.prefix_tokens, r.prompt_tokens - 1);
    r.output_tokens = std::max(1, std::min(r.output_tokens, max_length - r.prompt_tokens));
}

}  // namespace

Result<LengthDistribution> LengthDistribution::parse(std::string_view spec) {
    LengthDistribution d;
    d.text = std::string(spec);
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t colon = spec.find(':', start);
        parts.push_back(spec.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    const std::string_view kind = parts[0];
    const std::size_t want = kind == "fixed" ? 2 : 3;
    if (kind != "fixed" && kind != "uniform" && kind != "normal" && kind != "lognormal")
        return err("length distribution '", spec, "': expected fixed:N, uniform:A:B, normal:MEAN:SD or lognormal:MEAN:SD");
    if (parts.size() != want) return err("length distribution '", spec, "': '", kind, "' takes ", want - 1, " numbers");
    KVS_ASSIGN(d.a, number(parts[1], spec));
    if (want == 3) {
        KVS_ASSIGN(d.b, number(parts[2], spec));
    }
    d.kind = kind == "fixed" ? Kind::Fixed : kind == "uniform" ? Kind::Uniform : kind == "normal" ? Kind::Normal : Kind::LogNormal;
    if (d.a < 1) return err("length distribution '", spec, "': lengths start at 1");
    if (d.kind == Kind::Uniform && d.b < d.a) return err("length distribution '", spec, "': B must be >= A");
    if ((d.kind == Kind::Normal || d.kind == Kind::LogNormal) && d.b < 0)
        return err("length distribution '", spec, "': the standard deviation must be >= 0");
    return d;
}

Result<std::vector<SimRequest>> make_workload(const WorkloadSpec& spec) {
    if (spec.requests < 1) return err("the workload needs at least 1 request, got ", spec.requests);
    if (spec.max_length < 2) return err("max length must be at least 2, got ", spec.max_length);
    if (spec.prefix_groups < 1) return err("prefix groups must be >= 1, got ", spec.prefix_groups);
    if (spec.shared_prefix_tokens < 0) return err("the shared prefix must be >= 0 tokens");
    std::mt19937_64 rng(spec.seed);
    std::vector<SimRequest> out;
    for (int i = 0; i < spec.requests; ++i) {
        SimRequest r;
        r.prefix_tokens = spec.shared_prefix_tokens;
        r.prefix_group = spec.shared_prefix_tokens > 0 ? i % spec.prefix_groups : -1;
        r.prompt_tokens = spec.shared_prefix_tokens + draw(spec.prompt, rng);
        r.output_tokens = draw(spec.output, rng);
        cut(r, spec.max_length);
        out.push_back(r);
    }
    return out;
}

Result<std::vector<SimRequest>> read_workload_csv(const std::string& path, int max_length) {
    std::ifstream in(path);
    if (!in) return err("cannot open workload '", path, "'");
    auto split = [](const std::string& line) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, ',');) {
            x.erase(0, x.find_first_not_of(" \t\r"));
            x.erase(x.find_last_not_of(" \t\r") + 1);
            f.push_back(x);
        }
        return f;
    };
    std::string line;
    if (!std::getline(in, line)) return err("workload '", path, "' is empty");
    const auto header = split(line);
    auto column = [&](const char* name) {
        return int(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const int cp = column("prompt_tokens"), co = column("output_tokens"), cg = column("prefix_group"),
              cx = column("prefix_tokens"), n = int(header.size());
    if (cp == n || co == n) return err("workload '", path, "': the header must name prompt_tokens and output_tokens");
    std::vector<SimRequest> out;
    for (int row = 2; std::getline(in, line); ++row) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto f = split(line);
        auto field = [&](int c, int& v, int fallback) -> Status {
            if (c >= n) return (v = fallback), Status{};
            if (c >= int(f.size())) return err("workload '", path, "' row ", row, ": missing column ", header[std::size_t(c)]);
            auto [p, ec] = std::from_chars(f[std::size_t(c)].data(), f[std::size_t(c)].data() + f[std::size_t(c)].size(), v);
            if (ec != std::errc() || p != f[std::size_t(c)].data() + f[std::size_t(c)].size())
                return err("workload '", path, "' row ", row, ": ", header[std::size_t(c)], " '", f[std::size_t(c)],
                           "' is not an integer");
            return {};
        };
        SimRequest r;
        KVS_TRY(field(cp, r.prompt_tokens, 0));
        KVS_TRY(field(co, r.output_tokens, 0));
        KVS_TRY(field(cg, r.prefix_group, -1));
        KVS_TRY(field(cx, r.prefix_tokens, 0));
        if (r.prompt_tokens < 1 || r.output_tokens < 1)
            return err("workload '", path, "' row ", row, ": prompt and output lengths must be >= 1");
        if (r.prefix_group < 0) r.prefix_tokens = 0;
        cut(r, max_length);
        out.push_back(r);
    }
    if (out.empty()) return err("workload '", path, "' holds no requests");
    return out;
}

}  // namespace kvs
