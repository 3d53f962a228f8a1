#pragma once
// Bookkeeping of the pool's physical blocks: which are free, how many block tables refer to each
// (reference counts), and which unreferenced blocks are kept because the prefix cache still
// knows their contents (least recently released first out, when the pool runs out of free ones).
// No storage and no allocation after construction: the free list is a stack and the LRU list is
// threaded through two arrays.
#include <cstdint>
#include <vector>

namespace kvs {

// Order in which a fresh pool hands out its blocks. Attention must not depend on where a
// sequence's blocks lie; tests hand them out reversed or shuffled to prove it.
enum class BlockOrder { Ascending, Descending, Shuffled };

class BlockAllocator {
public:
    explicit BlockAllocator(int n_blocks, BlockOrder order = BlockOrder::Ascending, std::uint64_t seed = 0);

    int n_blocks() const { return int(refs_.size()); }
    int free_count() const { return int(free_.size()); }
    int cached_count() const { return cached_; }  // unreferenced, contents kept for the prefix cache
    int used_count() const { return n_blocks() - free_count() - cached_count(); }
    int available() const { return free_count() + cached_count(); }
    int refcount(int block) const { return refs_[std::size_t(block)]; }
    bool is_cached(int block) const { return in_lru_[std::size_t(block)] != 0; }

    struct Grant {
        int block = -1;
        int evicted = -1;  // the cached block that was reclaimed (== block), -1 when it came off the free list
    };
    // A block with reference count 1: a free one, or else the least recently released cached
    // one. Requires available() > 0.
    Grant allocate();
    // One more table refers to `block` (a cached block leaves the LRU list).
    void retain(int block);
    enum class Release { StillShared, Cached, Freed };
    // One table fewer refers to `block`. At zero it is kept as cached when its contents are
    // registered (set_registered), otherwise it returns to the free list.
    Release release(int block);
    // Whether the prefix cache knows this block's contents (kept when unreferenced).
    void set_registered(int block, bool registered);
    bool registered(int block) const { return registered_[std::size_t(block)] != 0; }
    // Cached blocks, least recently released first.
    std::vector<int> cached_blocks() const;

private:
    void lru_push_back(int block);
    void lru_remove(int block);

    std::vector<int> refs_;
    std::vector<int> free_;          // stack: back() is handed out next
    std::vector<char> registered_;
    std::vector<char> in_lru_;
    std::vector<int> prev_, next_;   // LRU list of cached blocks, -1 terminated
    int head_ = -1, tail_ = -1;      // head: least recently released
    int cached_ = 0;
};

}  // namespace kvs
