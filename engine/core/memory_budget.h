#pragma once
// How much memory this process can still allocate, for the checks made before the large
// allocations (weights, the KV cache): a size read from a file that would not fit is refused
// with its number instead of ending in std::bad_alloc or the OOM killer.
#include <cstdint>
#include <string>

#include "core/result.h"

namespace kvs {

struct MemoryBudget {
    std::int64_t bytes = 0;
    std::string source;  // where the figure comes from, for messages
};

// The smallest of: MemAvailable in /proc/meminfo, the cgroup's memory.max less memory.current
// (containers), and KVSCOPE_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix: binary units), which
// lets a user (and the tests) set a budget of their own. Unknown: INT64_MAX.
MemoryBudget available_memory();

// Ok when `bytes` fit in available_memory(); otherwise "<what> would take N bytes (X GiB), more than
// the Y GiB of memory available (<source>)" followed by `advice` when given.
Status check_fits_in_memory(std::int64_t bytes, const std::string& what, const std::string& advice = {});

}  // namespace kvs
