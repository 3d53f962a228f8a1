#include "kv/block_allocator.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <random>

namespace kvs {

BlockAllocator::BlockAllocator(int n_blocks, BlockOrder order, std::uint64_t seed)
    : refs_(std::size_t(n_blocks), 0),
      registered_(std::size_t(n_blocks), 0),
      in_lru_(std::size_t(n_blocks), 0),
      prev_(std::size_t(n_blocks), -1),
      next_(std::size_t(n_blocks), -1) {
    // The hand-out order, first block first; the stack holds it reversed.
    std::vector<int> order_ids(static_cast<std::size_t>(n_blocks));
    std::iota(order_ids.begin(), order_ids.end(), 0);
    if (order == BlockOrder::Descending) std::reverse(order_ids.begin(), order_ids.end());
    if (order == BlockOrder::Shuffled) {
        // Fisher-Yates with a portable generator: the same seed gives the same order everywhere.
        std::mt19937_64 rng(seed);
        for (std::size_t i = order_ids.size(); i > 1; --i) std::swap(order_ids[i - 1], order_ids[rng() % i]);
    }
    free_.assign(order_ids.rbegin(), order_ids.rend());
}

BlockAllocator::Grant BlockAllocator::allocate() {
    assert(available() > 0);
    Grant g;
    if (!free_.empty()) {
        g.block = free_.back();
        free_.pop_back();
    } else {
        g.block = g.evicted = head_;
        lru_remove(head_);
        registered_[std::size_t(g.block)] = 0;
    }
    refs_[std::size_t(g.block)] = 1;
    return g;
}

void BlockAllocator::retain(int block) {
    if (refs_[std::size_t(block)]++ == 0) {
        assert(in_lru_[std::size_t(block)] && "only cached blocks are revived");
        lru_remove(block);
    }
}

BlockAllocator::Release BlockAllocator::release(int block) {
    int& r = refs_[std::size_t(block)];
    assert(r > 0);
    if (--r > 0) return Release::StillShared;
    if (registered_[std::size_t(block)]) {
        lru_push_back(block);
        return Release::Cached;
    }
    free_.push_back(block);
    return Release::Freed;
}

void BlockAllocator::set_registered(int block, bool registered) {
    registered_[std::size_t(block)] = registered ? 1 : 0;
    if (!registered && in_lru_[std::size_t(block)]) {
        lru_remove(block);
        free_.push_back(block);
    }
}

std::vector<int> BlockAllocator::cached_blocks() const {
    std::vector<int> out;
    for (int b = head_; b >= 0; b = next_[std::size_t(b)]) out.push_back(b);
    return out;
}

void BlockAllocator::lru_push_back(int block) {
    prev_[std::size_t(block)] = tail_;
    next_[std::size_t(block)] = -1;
    if (tail_ >= 0) next_[std::size_t(tail_)] = block;
    else head_ = block;
    tail_ = block;
    in_lru_[std::size_t(block)] = 1;
    ++cached_;
}

void BlockAllocator::lru_remove(int block) {
    const int p = prev_[std::size_t(block)], n = next_[std::size_t(block)];
    if (p >= 0) next_[std::size_t(p)] = n;
    else head_ = n;
    if (n >= 0) prev_[std::size_t(n)] = p;
    else tail_ = p;
    prev_[std::size_t(block)] = next_[std::size_t(block)] = -1;
    in_lru_[std::size_t(block)] = 0;
    --cached_;
}

}  // namespace kvs
