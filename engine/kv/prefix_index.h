#pragma once
// The prefix cache's index: full blocks keyed by the token ids they hold and every id before
// them. A block's key is a hash chain, key(k) = chain(key(k - 1), tokens of block k), so equal
// keys mean equal prefixes; each entry also keeps its own tokens and its parent's key, and a
// lookup compares them, so a 64-bit collision can only make two different prefixes meet if
// their parents' keys collide too. Children of a key are listed, so that a prompt diverging
// inside a cached block can still share that block's first tokens (copy on write follows).
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace kvs {

class PrefixIndex {
public:
    explicit PrefixIndex(int n_blocks);

    static constexpr std::uint64_t kRoot = 0x6b7673636f706521ULL;  // key of the empty prefix
    static std::uint64_t chain(std::uint64_t parent, std::span<const int> tokens);

    // The block registered for exactly these tokens after `parent`, or -1.
    int find(std::uint64_t parent, std::span<const int> tokens) const;
    // Among the blocks registered after `parent`, the one whose tokens start with the longest
    // run of `tokens`; tokens = 0 when none shares even the first.
    struct Partial {
        int block = -1;
        int tokens = 0;
    };
    Partial longest_partial(std::uint64_t parent, std::span<const int> tokens) const;

    // Registers a full block; false (and nothing changes) when these tokens after `parent`
    // already have a block.
    bool insert(int block, std::uint64_t parent, std::span<const int> tokens);
    void erase(int block);
    bool contains(int block) const { return entries_[std::size_t(block)].used; }
    std::uint64_t key(int block) const { return entries_[std::size_t(block)].key; }
    int size() const { return int(by_key_.size()); }

private:
    struct Entry {
        bool used = false;
        std::uint64_t key = 0, parent = 0;
        std::vector<int> tokens;
    };
    std::vector<Entry> entries_;  // by physical block
    std::unordered_map<std::uint64_t, int> by_key_;
    std::unordered_multimap<std::uint64_t, int> children_;  // parent key -> blocks
};

}  // namespace kvs
