#include "kv/prefix_index.h"

#include <algorithm>

namespace kvs {

PrefixIndex::PrefixIndex(int n_blocks) : entries_(std::size_t(n_blocks)) {}

std::uint64_t PrefixIndex::chain(std::uint64_t parent, std::span<const int> tokens) {
    // splitmix64's finaliser over the parent key and each id: cheap and well mixed.
    auto mix = [](std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    std::uint64_t h = mix(parent + 0x9e3779b97f4a7c15ULL);
    for (int t : tokens) h = mix(h ^ (std::uint64_t(std::uint32_t(t)) + 0x9e3779b97f4a7c15ULL));
    return mix(h ^ tokens.size());
}

int PrefixIndex::find(std::uint64_t parent, std::span<const int> tokens) const {
    const auto it = by_key_.find(chain(parent, tokens));
    if (it == by_key_.end()) return -1;
    const Entry& e = entries_[std::size_t(it->second)];
    const bool same = e.parent == parent && std::equal(e.tokens.begin(), e.tokens.end(), tokens.begin(), tokens.end());
    return same ? it->second : -1;
}

PrefixIndex::Partial PrefixIndex::longest_partial(std::uint64_t parent, std::span<const int> tokens) const {
    Partial best;
    const auto [first, last] = children_.equal_range(parent);
    for (auto it = first; it != last; ++it) {
        const Entry& e = entries_[std::size_t(it->second)];
        const std::size_t n = std::min(e.tokens.size(), tokens.size());
        const int common = int(std::mismatch(e.tokens.begin(), e.tokens.begin() + std::ptrdiff_t(n), tokens.begin()).first -
                               e.tokens.begin());
        // Lowest block number among equals, so that the choice does not depend on hash order.
        if (common > best.tokens || (common == best.tokens && common > 0 && it->second < best.block))
            best = {it->second, common};
    }
    return best;
}

bool PrefixIndex::insert(int block, std::uint64_t parent, std::span<const int> tokens) {
    const std::uint64_t key = chain(parent, tokens);
    if (by_key_.count(key)) return false;
    Entry& e = entries_[std::size_t(block)];
    e.used = true;
    e.key = key;
    e.parent = parent;
    e.tokens.assign(tokens.begin(), tokens.end());
    by_key_.emplace(key, block);
    children_.emplace(parent, block);
    return true;
}

void PrefixIndex::erase(int block) {
    Entry& e = entries_[std::size_t(block)];
    if (!e.used) return;
    by_key_.erase(e.key);
    const auto [first, last] = children_.equal_range(e.parent);
    for (auto it = first; it != last; ++it)
        if (it->second == block) {
            children_.erase(it);
            break;
        }
    e.used = false;
}

}  // namespace kvs
