#pragma once
// A contiguous KV memory of `slots` positions handed out first-fit, as a server that reserves one
// contiguous region per request does: a freed region leaves a gap that only a request of that
// size or smaller can use (external fragmentation).
#include <map>

namespace kvs {

class ContiguousArena {
public:
    explicit ContiguousArena(long long slots);

    // Start of a free run of `size` slots (the lowest that fits), or -1.
    long long allocate(long long size);
    void release(long long start);
    long long free_slots() const { return free_; }
    long long largest_free_run() const;

private:
    std::map<long long, long long> free_runs_;  // start -> length
    std::map<long long, long long> used_;       // start -> length
    long long free_ = 0;
};

}  // namespace kvs
