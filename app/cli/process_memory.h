#pragma once
// The resident memory of this process, for the long-run benchmark (`soak`).
#include <cstdint>

namespace kvs::cli {

// Resident set size in bytes (/proc/self/statm), after returning the allocator's free pages to
// the system (malloc_trim), so that the figure follows what the program holds rather than what
// glibc keeps cached for later allocations. -1 when /proc is unavailable.
std::int64_t resident_bytes();

}  // namespace kvs::cli
