#include "core/memory_budget.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/kv_footprint.h"

namespace kvs {

namespace {

constexpr std::int64_t kUnknown = std::numeric_limits<std::int64_t>::max();

// "123", "64M", "8G" (binary units); -1 when the text is not such a size.
std::int64_t parse_size(const std::string& text) {
    if (text.empty()) return -1;
    std::size_t i = 0;
    std::int64_t n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (n > (kUnknown - 9) / 10) return -1;
        n = n * 10 + (text[i] - '0');
    }
    if (i == 0) return -1;
    int shift = 0;
    if (i + 1 == text.size()) {
        switch (text[i] | 0x20) {
            case 'k': shift = 10; break;
            case 'm': shift = 20; break;
            case 'g': shift = 30; break;
            case 't': shift = 40; break;
            default: return -1;
        }
    } else if (i != text.size()) {
        return -1;
    }
    if (shift > 0 && n > (kUnknown >> shift)) return -1;
    return n << shift;
}

std::int64_t meminfo_available() {
    std::ifstream f("/proc/meminfo");
    std::string key;
    std::int64_t kib = 0;
    std::string unit;
    while (f >> key >> kib) {
        std::getline(f, unit);
        if (key == "MemAvailable:") return kib * 1024;
    }
    return kUnknown;
}

std::int64_t read_number_file(const char* path) {
    std::ifstream f(path);
    std::string text;
    if (!(f >> text)) return -1;
    return parse_size(text);  // "max" is not a number: -1
}

}  // namespace

MemoryBudget available_memory() {
    MemoryBudget b{meminfo_available(), "MemAvailable in /proc/meminfo"};
    const std::int64_t cg_max = read_number_file("/sys/fs/cgroup/memory.max");
    const std::int64_t cg_used = read_number_file("/sys/fs/cgroup/memory.current");
    if (cg_max >= 0 && cg_used >= 0 && cg_max - cg_used < b.bytes) b = {std::max<std::int64_t>(0, cg_max - cg_used), "the cgroup's memory.max"};
    if (const char* env = std::getenv("KVSCOPE_MEMORY_LIMIT")) {
        const std::int64_t limit = parse_size(env);
        if (limit >= 0 && limit < b.bytes) b = {limit, "KVSCOPE_MEMORY_LIMIT"};
    }
    return b;
}

Status check_fits_in_memory(std::int64_t bytes, const std::string& what, const std::string& advice) {
    const MemoryBudget b = available_memory();
    if (bytes <= b.bytes) return {};
    return err(what, " would take ", bytes, " bytes (", format_binary_bytes(double(bytes)), "), more than the ",
               format_binary_bytes(double(b.bytes)), " of memory available (", b.source, ")",
               advice.empty() ? "" : "; ", advice);
}

}  // namespace kvs
