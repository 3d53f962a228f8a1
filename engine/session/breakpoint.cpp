#include "session/breakpoint.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <limits>

namespace kvs {
namespace {

bool starts_with(const std::string& s, const char* prefix, std::string& rest) {
    const std::string p(prefix);
    if (s.compare(0, p.size(), p) != 0) return false;
    rest = s.substr(p.size());
    return true;
}

bool parse_int(const std::string& s, std::int64_t& out) {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_number(const std::string& s, double& out) {
    if (s.empty()) return false;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(out);
}

// "*" or a non-negative index.
bool parse_index(const std::string& s, int& out) {
    if (s == "*") {
        out = -1;
        return true;
    }
    std::int64_t v = 0;
    if (!parse_int(s, v) || v < 0 || v > 1 << 20) return false;
    out = int(v);
    return true;
}

bool parse_bytes(std::string s, std::int64_t& out) {
    std::int64_t unit = 1;
    for (const auto& [suffix, factor] : {std::pair<const char*, std::int64_t>{"GiB", 1LL << 30}, {"MiB", 1LL << 20},
                                         {"KiB", 1LL << 10}, {"B", 1}}) {
        const std::string x(suffix);
        if (s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0) {
            s.resize(s.size() - x.size());
            unit = factor;
            break;
        }
    }
    // The bound is on the bytes, not on the number before the unit: a spec is written back in
    // bytes (breakpoint_spec) and must parse again, and 2^50 GiB would overflow.
    if (!parse_int(s, out) || out < 0 || out > (std::int64_t(1) << 50) / unit) return false;
    out *= unit;
    return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == sep) {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return parts;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string index_text(int i) { return i < 0 ? "*" : std::to_string(i); }

const char* kGrammar =
    "expected one of pos=P, token=ID, text=STRING, entropy>X, entropy<X, top1<X, not-argmax, attn=L,H,P>X, "
    "sink=L,H<X, cache-bytes>=N, cache-blocks>=N";

}  // namespace

Result<Breakpoint> parse_breakpoint(const std::string& spec) {
    Breakpoint b;
    std::string rest;
    const auto bad = [&](const std::string& what) -> Result<Breakpoint> {
        return err("breakpoint '", spec, "': ", what);
    };
    std::int64_t n = 0;
    double v = 0.0;
    if (starts_with(spec, "pos=", rest)) {
        if (!parse_int(rest, n) || n < 0) return bad("expected a position (an integer >= 0) after 'pos='");
        b.kind = BreakpointKind::Position;
        b.n = n;
    } else if (starts_with(spec, "token=", rest)) {
        if (!parse_int(rest, n) || n < 0) return bad("expected a token id (an integer >= 0) after 'token='");
        b.kind = BreakpointKind::Token;
        b.n = n;
    } else if (starts_with(spec, "text=", rest)) {
        if (rest.empty()) return bad("expected some text after 'text='");
        b.kind = BreakpointKind::Text;
        b.text = rest;
    } else if (starts_with(spec, "entropy>", rest) || starts_with(spec, "entropy<", rest)) {
        if (!parse_number(rest, v)) return bad("expected a number of nats after 'entropy>' or 'entropy<'");
        b.kind = spec[7] == '>' ? BreakpointKind::EntropyAbove : BreakpointKind::EntropyBelow;
        b.value = v;
    } else if (starts_with(spec, "top1<", rest)) {
        if (!parse_number(rest, v) || v < 0 || v > 1) return bad("expected a probability (0..1) after 'top1<'");
        b.kind = BreakpointKind::Top1Below;
        b.value = v;
    } else if (spec == "not-argmax") {
        b.kind = BreakpointKind::NotArgmax;
    } else if (starts_with(spec, "attn=", rest)) {
        const auto gt = rest.find('>');
        const auto parts = split(rest.substr(0, gt), ',');
        std::int64_t key = 0;
        if (gt == std::string::npos || parts.size() != 3 || !parse_index(parts[0], b.layer) ||
            !parse_index(parts[1], b.head) || !parse_int(parts[2], key) || key < 0 ||
            key > std::numeric_limits<int>::max() || !parse_number(rest.substr(gt + 1), v))
            return bad("expected attn=LAYER,HEAD,POSITION>VALUE (LAYER and HEAD may be *)");
        b.kind = BreakpointKind::AttentionAbove;
        b.key = int(key);
        b.value = v;
    } else if (starts_with(spec, "sink=", rest)) {
        const auto lt = rest.find('<');
        const auto parts = split(rest.substr(0, lt), ',');
        if (lt == std::string::npos || parts.size() != 2 || !parse_index(parts[0], b.layer) ||
            !parse_index(parts[1], b.head) || !parse_number(rest.substr(lt + 1), v))
            return bad("expected sink=LAYER,HEAD<VALUE (LAYER and HEAD may be *)");
        b.kind = BreakpointKind::SinkBelow;
        b.value = v;
    } else if (starts_with(spec, "cache-bytes>=", rest)) {
        if (!parse_bytes(rest, n)) return bad("expected a byte count (optionally with B, KiB, MiB or GiB) after 'cache-bytes>='");
        b.kind = BreakpointKind::CacheBytes;
        b.n = n;
    } else if (starts_with(spec, "cache-blocks>=", rest)) {
        if (!parse_int(rest, n) || n < 0) return bad("expected a block count after 'cache-blocks>='");
        b.kind = BreakpointKind::CacheBlocks;
        b.n = n;
    } else {
        return bad(kGrammar);
    }
    return b;
}

std::string breakpoint_spec(const Breakpoint& b) {
    switch (b.kind) {
        case BreakpointKind::Position: return "pos=" + std::to_string(b.n);
        case BreakpointKind::Token: return "token=" + std::to_string(b.n);
        case BreakpointKind::Text: return "text=" + b.text;
        case BreakpointKind::EntropyAbove: return "entropy>" + number(b.value);
        case BreakpointKind::EntropyBelow: return "entropy<" + number(b.value);
        case BreakpointKind::Top1Below: return "top1<" + number(b.value);
        case BreakpointKind::NotArgmax: return "not-argmax";
        case BreakpointKind::AttentionAbove:
            return "attn=" + index_text(b.layer) + "," + index_text(b.head) + "," + std::to_string(b.key) + ">" +
                   number(b.value);
        case BreakpointKind::SinkBelow: return "sink=" + index_text(b.layer) + "," + index_text(b.head) + "<" + number(b.value);
        case BreakpointKind::CacheBytes: return "cache-bytes>=" + std::to_string(b.n);
        case BreakpointKind::CacheBlocks: return "cache-blocks>=" + std::to_string(b.n);
    }
    return {};
}

std::optional<std::string> breakpoint_hit(const Breakpoint& b, const StepObservation& o) {
    const StepFinished& s = *o.step;
    const int position = s.first_pos + s.n_positions;  // where the chosen token goes
    const float top1 = s.top.empty() ? 1.0f : s.top.front().probability;
    switch (b.kind) {
        case BreakpointKind::Position:
            if (position == b.n) return "position " + std::to_string(position);
            break;
        case BreakpointKind::Token:
            if (s.sampled_token == b.n) return "token " + std::to_string(s.sampled_token) + " '" + s.sampled_label + "'";
            break;
        case BreakpointKind::Text: {
            // A new occurrence: one that ends inside the bytes this step added.
            const std::string& after = *o.text_after;
            const std::size_t from = o.text_before->size() >= b.text.size() ? o.text_before->size() - b.text.size() + 1 : 0;
            if (after.find(b.text, from) != std::string::npos) return "text '" + b.text + "'";
            break;
        }
        case BreakpointKind::EntropyAbove:
            if (s.entropy > b.value) return "entropy " + number(s.entropy);
            break;
        case BreakpointKind::EntropyBelow:
            if (s.entropy < b.value) return "entropy " + number(s.entropy);
            break;
        case BreakpointKind::Top1Below:
            if (top1 < b.value) return "top-1 probability " + number(top1);
            break;
        case BreakpointKind::NotArgmax:
            if (s.argmax >= 0 && s.sampled_token != s.argmax)
                return "chose " + std::to_string(s.sampled_token) + ", the most likely is " + std::to_string(s.argmax);
            break;
        case BreakpointKind::AttentionAbove:
        case BreakpointKind::SinkBelow: {
            if (!o.attention) break;
            const int key = b.kind == BreakpointKind::SinkBelow ? 0 : b.key;
            for (const auto& [lh, row] : *o.attention) {
                if ((b.layer >= 0 && lh.first != b.layer) || (b.head >= 0 && lh.second != b.head)) continue;
                if (key >= int(row.size())) continue;
                const float p = row[std::size_t(key)];
                if (b.kind == BreakpointKind::AttentionAbove ? p > b.value : p < b.value)
                    return "layer " + std::to_string(lh.first) + " head " + std::to_string(lh.second) + " attends " +
                           number(p) + " to position " + std::to_string(key);
            }
            break;
        }
        case BreakpointKind::CacheBytes:
            if (o.cache_bytes >= b.n) return "cache " + std::to_string(o.cache_bytes) + " bytes";
            break;
        case BreakpointKind::CacheBlocks:
            if (o.cache_blocks >= b.n) return "cache " + std::to_string(o.cache_blocks) + " blocks";
            break;
    }
    return std::nullopt;
}

}  // namespace kvs
