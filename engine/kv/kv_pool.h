#pragma once
// The KV block pool's bookkeeping: the geometry (KvLayout), the block allocator, one block
// table per sequence, and the prefix cache. It owns no K/V values; each backend keeps the
// storage (host memory, device buffers) and addresses it through these tables.
//
// A forward pass grows each of its sequences in two phases, so that a failed pass leaves every
// table as it was: append() (blocks allocated, copy on write of a shared last block queued in
// take_copies()), then commit() once the pass has written its K/V (or rollback() if it failed).
//
// Seams for what builds on it: fork() gives a child table sharing every parent block (a branch),
// truncate() frees the blocks past a new end (rewind), and a table records which position each
// slot holds when they stop being equal (eviction).
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/result.h"
#include "kv/block_allocator.h"
#include "kv/block_table.h"
#include "kv/kv_layout.h"
#include "kv/kv_usage.h"
#include "kv/prefix_index.h"

namespace kvs {

// Copy block `source` to block `target`, every layer, K and V (copy on write).
struct BlockCopy {
    int source = 0;
    int target = 0;
};

// What a prefix lookup reused for a new sequence.
struct PrefixMatch {
    int tokens = 0;          // positions reused (no need to compute them)
    int full_blocks = 0;     // whole blocks shared
    int partial_tokens = 0;  // first tokens of one more cached block (copied before the sequence writes into it)
};

class KvPool {
public:
    explicit KvPool(const KvLayout& layout, BlockOrder order = BlockOrder::Ascending, std::uint64_t seed = 0);

    const KvLayout& layout() const { return layout_; }
    int block_size() const { return layout_.block_positions(); }
    const BlockAllocator& allocator() const { return alloc_; }

    // Sequences.
    int create_sequence();
    // A new sequence whose table shares every block of `parent` (the last one is copied on write).
    Result<int> fork(int parent);
    // Keeps the first `length` positions; blocks past them go back to the pool.
    Status truncate(int sequence, int length);
    void remove(int sequence);
    // Removes every sequence and starts numbering again: the next create_sequence() is 0.
    // Cached prefixes stay.
    void clear_sequences();
    bool contains(int sequence) const { return seqs_.count(sequence) != 0; }
    const BlockTable& table(int sequence) const { return seqs_.at(sequence).table; }
    int length(int sequence) const { return table(sequence).length(); }
    std::span<const int> tokens(int sequence) const { return seqs_.at(sequence).tokens; }
    std::vector<int> sequence_ids() const;

    // Prefix cache: full blocks are registered after the pass that filled them, and a new
    // sequence starts from the longest registered prefix of its prompt (always leaving at least
    // the prompt's last token to compute, whose logits are needed).
    void set_prefix_caching(bool on);
    bool prefix_caching() const { return prefix_caching_; }
    PrefixMatch attach_prefix(int sequence, std::span<const int> prompt);
    // Forgets every cached prefix (referenced blocks stay with their sequences).
    void clear_prefix_cache();
    int cached_prefix_blocks() const { return index_.size(); }

    // Blocks `sequence` needs from the pool to grow by `new_tokens` (a shared or registered
    // partly filled last block counts once more: it is copied before it is written).
    int blocks_needed(int sequence, int new_tokens) const;
    // Grows `sequence` by tokens at positions first_position.. (requires blocks_needed() to be
    // available). The new slots are [old length, old length + tokens.size()).
    void append(int sequence, std::span<const int> tokens, int first_position);
    // Copies the backend must make before the pass writes (copy on write), in order.
    std::vector<BlockCopy> take_copies();
    void commit(int sequence);
    void rollback(int sequence);

    // The allocator's figures.
    KvPoolUsage usage() const;

    // Block events since the last take_events(), when recording.
    void set_recording(bool on) { recording_ = on; }
    std::vector<BlockEvent> take_events();

private:
    struct Sequence {
        BlockTable table;
        std::vector<int> tokens;          // token id held by each slot
        std::vector<std::uint64_t> keys;  // prefix key of each leading full block seen so far
        int pending_length = -1;          // length before an uncommitted append
        // (logical block, block it replaced): >= 0 still referenced until commit, -1 - block when
        // the reference was given up at append.
        std::vector<std::pair<int, int>> pending_cow;
    };
    Sequence& seq(int id) { return seqs_.at(id); }
    bool writable(int block) const { return alloc_.refcount(block) == 1 && !alloc_.registered(block); }
    int take_block(int sequence, int logical);
    void drop_block(int block, int sequence, int logical);
    void record(BlockEventKind kind, int block, int sequence, int logical, int source = -1);
    void register_full_blocks(Sequence& s);

    KvLayout layout_;
    BlockAllocator alloc_;
    PrefixIndex index_;
    std::map<int, Sequence> seqs_;
    int next_id_ = 0;
    bool prefix_caching_ = false;
    std::vector<BlockCopy> copies_;
    bool recording_ = false;
    std::vector<BlockEvent> events_;
};

}  // namespace kvs
