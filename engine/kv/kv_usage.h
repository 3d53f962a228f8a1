#pragma once
// What the pool holds, as the allocator counts it: every memory figure kvscope shows comes from
// here (bytes held by blocks), with the formula (tokens x bytes per token) beside it and the
// difference, which is the unfilled tail of each sequence's last block.
#include <cstdint>
#include <vector>

namespace kvs {

// Block bookkeeping as it changes: one record per change of a block's state.
enum class BlockEventKind {
    Allocated,  // handed to a sequence (reference count 1), from the free list or reclaimed from the cache
    Shared,     // one more sequence refers to it (fork, prefix hit, or revived from the cache)
    Copied,     // copy on write: `block` is a new copy of `source` for this sequence
    Released,   // one sequence fewer refers to it; others still do
    Cached,     // no sequence refers to it; kept because the prefix cache knows its tokens
    Freed,      // back on the free list
    Evicted,    // a cached block reclaimed for reuse; its prefix entry is gone
};
const char* to_string(BlockEventKind k);

struct BlockEvent {
    int step = 0;         // set by the generation session
    BlockEventKind kind = BlockEventKind::Allocated;
    int block = 0;        // physical block
    int sequence = -1;    // the sequence concerned (-1 for Evicted)
    int logical = -1;     // its logical index in that sequence's table
    int source = -1;      // Copied: the block copied from
    int refcount = 0;     // reference count after the change
};

struct SequenceKvUsage {
    int sequence = 0;
    int tokens = 0;              // positions the sequence holds
    int blocks = 0;              // entries of its block table
    int shared_blocks = 0;       // of those, referred to by other sequences too
    std::int64_t bytes_held = 0;     // blocks x block bytes
    std::int64_t formula_bytes = 0;  // tokens x bytes per token
    std::int64_t waste_bytes() const { return bytes_held - formula_bytes; }  // unfilled tail of the last block
};

struct KvPoolUsage {
    int block_size = 0;
    int n_blocks = 0;
    int used_blocks = 0;     // referred to by at least one sequence
    int shared_blocks = 0;   // referred to by more than one
    int cached_blocks = 0;   // unreferenced, kept for the prefix cache
    int free_blocks = 0;
    std::int64_t block_bytes = 0;
    std::int64_t pool_bytes = 0;     // n_blocks x block bytes: allocated once
    std::int64_t bytes_held = 0;     // used_blocks x block bytes
    std::int64_t bytes_cached = 0;   // cached_blocks x block bytes
    std::int64_t formula_bytes = 0;  // the sequences' tokens x bytes per token (shared tokens counted per sequence)
    std::vector<SequenceKvUsage> sequences;
};

}  // namespace kvs
