#pragma once
// One sequence's view of the pool: logical block i -> physical block blocks()[i]. Slot s of the
// sequence (its s-th cached position) lives in physical block blocks()[s / block_size] at slot
// s % block_size of that block; KvLayout::offset turns that into an address.
//
// Slot and position are separate ideas: a slot is where K/V is stored, a position is what RoPE
// (or a learned position embedding) used when K was computed. Normally slot s holds position s;
// when positions are dropped from the middle (eviction) the remaining slots keep their original
// positions, which the table records (positions() is empty while every slot holds its own index).
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace kvs {

// A run of consecutive slots inside one physical block.
struct BlockSpan {
    int first = 0;        // first slot of the run, in the sequence
    int count = 0;        // slots in the run
    int block = 0;        // physical block
    int block_slot = 0;   // slot of `first` inside the block
};

class BlockTable {
public:
    BlockTable() = default;
    explicit BlockTable(int block_size) : block_size_(block_size) {}
    // A table built by hand (tests, tools): `length` slots over the given physical blocks.
    BlockTable(int block_size, std::vector<int> blocks, int length);

    int block_size() const { return block_size_; }
    int length() const { return length_; }  // slots holding K/V
    int logical_blocks() const { return int(blocks_.size()); }
    std::span<const int> blocks() const { return blocks_; }
    int block(int logical) const { return blocks_[std::size_t(logical)]; }
    // Physical block and slot in that block of sequence slot `slot`.
    int block_of(int slot) const { return blocks_[std::size_t(slot / block_size_)]; }
    int slot_in_block(int slot) const { return slot % block_size_; }
    // Slots filled in the last block (block_size when it is full, 0 for an empty table).
    int last_block_fill() const;

    // Position held by each slot; empty while slot s holds position s.
    std::span<const int> positions() const { return positions_; }
    int position(int slot) const { return positions_.empty() ? slot : positions_[std::size_t(slot)]; }

    // Calls f(BlockSpan) for the slots [begin, end) block by block.
    template <typename F>
    void for_each_span(int begin, int end, F&& f) const {
        while (begin < end) {
            const int in_block = begin % block_size_;
            const int count = std::min(end - begin, block_size_ - in_block);
            f(BlockSpan{begin, count, blocks_[std::size_t(begin / block_size_)], in_block});
            begin += count;
        }
    }
    // The same, with runs of physically consecutive blocks (b, b + 1, ...) merged into one span
    // (`block` is the run's first block): in KvLayout such a run is one stretch of memory per head.
    template <typename F>
    void for_each_run(int begin, int end, F&& f) const {
        BlockSpan run{begin, 0, 0, 0};
        for_each_span(begin, end, [&](const BlockSpan& s) {
            if (run.count > 0 && s.block_slot == 0 && run.block_slot + run.count == (s.block - run.block) * block_size_) {
                run.count += s.count;
                return;
            }
            if (run.count > 0) f(run);
            run = s;
        });
        if (run.count > 0) f(run);
    }

private:
    friend class KvPool;  // the only writer of tables that refer to pool blocks

    int block_size_ = 1;
    int length_ = 0;
    std::vector<int> blocks_;
    std::vector<int> positions_;
};

}  // namespace kvs
