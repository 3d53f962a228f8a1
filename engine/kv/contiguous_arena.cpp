#include "kv/contiguous_arena.h"

#include <algorithm>
#include <iterator>

namespace kvs {

ContiguousArena::ContiguousArena(long long slots) : free_(slots) {
    if (slots > 0) free_runs_[0] = slots;
}

long long ContiguousArena::allocate(long long size) {
    for (auto it = free_runs_.begin(); it != free_runs_.end(); ++it) {
        if (it->second < size) continue;
        const long long start = it->first, rest = it->second - size;
        free_runs_.erase(it);
        if (rest > 0) free_runs_[start + size] = rest;
        used_[start] = size;
        free_ -= size;
        return start;
    }
    return -1;
}

void ContiguousArena::release(long long start) {
    const auto u = used_.find(start);
    if (u == used_.end()) return;
    long long begin = start, length = u->second;
    used_.erase(u);
    free_ += length;
    // Merge with the free runs on either side.
    auto next = free_runs_.lower_bound(begin);
    if (next != free_runs_.end() && next->first == begin + length) {
        length += next->second;
        next = free_runs_.erase(next);
    }
    if (next != free_runs_.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == begin) {
            begin = prev->first;
            length += prev->second;
            free_runs_.erase(prev);
        }
    }
    free_runs_[begin] = length;
}

long long ContiguousArena::largest_free_run() const {
    long long best = 0;
    for (const auto& [start, length] : free_runs_) best = std::max(best, length);
    return best;
}

}  // namespace kvs
