#pragma once
// The KV block pool as the events describe it: which sequences refer to each physical block,
// each sequence's block table, and the allocator's figures after every pass. Built from
// RunStarted (pool size, blocks cached by earlier runs), BlockEvent and PoolState events, one
// event at a time, so keeping it costs nothing per step beyond the step's own changes.
#include <cstdint>
#include <vector>

#include "core/events.h"

namespace kvs::ui {

class PoolTracker {
public:
    enum class State { Free, Used, Cached };
    struct Block {
        State state = State::Free;
        int refcount = 0;
        std::vector<int> holders;  // sequences whose tables hold it, the first allocator first
        int logical = -1;          // its index in the first holder's table
    };
    // One point per pass: the pool as the allocator counted it.
    struct MemoryPoint {
        int step = 0;
        std::int64_t bytes_held = 0, formula_bytes = 0, bytes_cached = 0;
        std::int64_t tail_bytes = 0;    // unfilled tails of the sequences' last blocks (the waste)
        std::int64_t shared_bytes = 0;  // held once for several sequences: what sharing saves
        // held = formula + tails - shared
        std::vector<std::pair<int, std::int64_t>> sequence_bytes;  // (sequence, bytes held)
    };

    void clear() { *this = PoolTracker{}; }
    // Returns whether the event changed the pool.
    bool apply(const kvs::Event& e);

    bool active() const { return !blocks_.empty(); }
    int blockSize() const { return block_size_; }
    std::int64_t blockBytes() const { return block_bytes_; }
    const std::vector<Block>& blocks() const { return blocks_; }
    // Sequence `id`'s table (logical -> physical); empty for an unknown sequence.
    const std::vector<int>& table(int sequence) const;
    // Positions the sequence holds, as of the last pool state.
    int tokens(int sequence) const;
    std::vector<int> sequences() const;  // ids that ever had blocks or tokens, ascending
    const kvs::KvPoolUsage& usage() const { return usage_; }  // after the last pass
    const std::vector<MemoryPoint>& history() const { return history_; }
    std::int64_t changes() const { return changes_; }  // events applied so far (views compare it)

private:
    std::vector<int>& table_of(int sequence);
    void set_table(int sequence, int logical, int block);
    void drop_from_table(int sequence, int logical, int block);

    int block_size_ = 0;
    std::int64_t block_bytes_ = 0;
    std::vector<Block> blocks_;
    std::vector<std::pair<int, std::vector<int>>> tables_;  // (sequence, table), few sequences
    std::vector<std::pair<int, int>> tokens_;               // (sequence, positions)
    kvs::KvPoolUsage usage_;
    std::vector<MemoryPoint> history_;
    std::int64_t changes_ = 0;
};

}  // namespace kvs::ui
