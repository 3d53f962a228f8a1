#include "kv/kv_pool.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace kvs {

KvPool::KvPool(const KvLayout& layout, BlockOrder order, std::uint64_t seed)
    : layout_(layout), alloc_(layout.pool_blocks(), order, seed), index_(layout.pool_blocks()) {
    layout_.block_size = layout.block_positions();
    layout_.n_blocks = layout.pool_blocks();
}

int KvPool::create_sequence() {
    const int id = next_id_++;
    seqs_[id].table = BlockTable(block_size());
    return id;
}

std::vector<int> KvPool::sequence_ids() const {
    std::vector<int> ids;
    for (const auto& [id, s] : seqs_) ids.push_back(id);
    return ids;
}

void KvPool::record(BlockEventKind kind, int block, int sequence, int logical, int source) {
    if (recording_) events_.push_back({0, kind, block, sequence, logical, source, alloc_.refcount(block)});
}

std::vector<BlockEvent> KvPool::take_events() {
    std::vector<BlockEvent> out;
    out.swap(events_);
    return out;
}

// A block for `logical` of `sequence`: a free one, or the least recently used cached one, whose
// prefix entry then goes.
int KvPool::take_block(int sequence, int logical) {
    const BlockAllocator::Grant g = alloc_.allocate();
    if (g.evicted >= 0) {
        index_.erase(g.evicted);
        record(BlockEventKind::Evicted, g.evicted, -1, -1);
    }
    record(BlockEventKind::Allocated, g.block, sequence, logical);
    return g.block;
}

void KvPool::drop_block(int block, int sequence, int logical) {
    switch (alloc_.release(block)) {
        case BlockAllocator::Release::StillShared: record(BlockEventKind::Released, block, sequence, logical); break;
        case BlockAllocator::Release::Cached: record(BlockEventKind::Cached, block, sequence, logical); break;
        case BlockAllocator::Release::Freed: record(BlockEventKind::Freed, block, sequence, logical); break;
    }
}

Result<int> KvPool::fork(int parent) {
    if (!contains(parent)) return err("fork: sequence ", parent, " does not exist");
    const Sequence& p = seqs_.at(parent);
    if (p.pending_length >= 0) return err("fork: sequence ", parent, " is in the middle of a pass");
    const int id = next_id_++;
    Sequence& child = seqs_[id];
    child.table = p.table;
    child.tokens = p.tokens;
    child.keys = p.keys;
    for (int i = 0; i < child.table.logical_blocks(); ++i) {
        alloc_.retain(child.table.block(i));
        record(BlockEventKind::Shared, child.table.block(i), id, i);
    }
    return id;
}

Status KvPool::truncate(int sequence, int length) {
    if (!contains(sequence)) return err("truncate: sequence ", sequence, " does not exist");
    Sequence& s = seq(sequence);
    if (length < 0 || length > s.table.length())
        return err("truncate: sequence ", sequence, " holds ", s.table.length(), " positions, cannot keep ", length);
    const int keep = layout_.blocks_for(length);
    for (int i = s.table.logical_blocks() - 1; i >= keep; --i) drop_block(s.table.blocks_[std::size_t(i)], sequence, i);
    s.table.blocks_.resize(std::size_t(keep));
    s.table.length_ = length;
    if (!s.table.positions_.empty()) s.table.positions_.resize(std::size_t(length));
    s.tokens.resize(std::size_t(length));
    s.keys.resize(std::min(s.keys.size(), std::size_t(length / block_size())));
    return {};
}

void KvPool::remove(int sequence) {
    if (!contains(sequence)) return;
    (void)truncate(sequence, 0);
    seqs_.erase(sequence);
}

void KvPool::clear_sequences() {
    for (int id : sequence_ids()) remove(id);
    next_id_ = 0;
}

void KvPool::set_prefix_caching(bool on) {
    prefix_caching_ = on;
    if (!on) clear_prefix_cache();
}

void KvPool::clear_prefix_cache() {
    for (int b = 0; b < layout_.n_blocks; ++b)
        if (index_.contains(b)) {
            const bool was_cached = alloc_.is_cached(b);
            index_.erase(b);
            alloc_.set_registered(b, false);
            if (was_cached) record(BlockEventKind::Freed, b, -1, -1);
        }
    for (auto& [id, s] : seqs_) s.keys.clear();
}

PrefixMatch KvPool::attach_prefix(int sequence, std::span<const int> prompt) {
    PrefixMatch m;
    if (!prefix_caching_ || !contains(sequence) || prompt.size() < 2) return m;
    Sequence& s = seq(sequence);
    if (s.table.length() != 0) return m;
    const int bs = block_size();
    const int limit = int(prompt.size()) - 1;  // the last prompt token is always computed
    std::uint64_t parent = PrefixIndex::kRoot;
    while ((m.full_blocks + 1) * bs <= limit) {
        const auto block_tokens = prompt.subspan(std::size_t(m.full_blocks) * bs, std::size_t(bs));
        const int b = index_.find(parent, block_tokens);
        if (b < 0) break;
        alloc_.retain(b);
        s.table.blocks_.push_back(b);
        record(BlockEventKind::Shared, b, sequence, m.full_blocks);
        parent = index_.key(b);
        s.keys.push_back(parent);
        ++m.full_blocks;
    }
    m.tokens = m.full_blocks * bs;
    if (m.tokens < limit) {
        const auto rest = prompt.subspan(std::size_t(m.tokens), std::size_t(std::min(bs, limit - m.tokens)));
        const PrefixIndex::Partial p = index_.longest_partial(parent, rest);
        if (p.tokens > 0) {
            alloc_.retain(p.block);
            s.table.blocks_.push_back(p.block);
            record(BlockEventKind::Shared, p.block, sequence, m.full_blocks);
            m.partial_tokens = p.tokens;
            m.tokens += p.tokens;
        }
    }
    s.table.length_ = m.tokens;
    s.tokens.assign(prompt.begin(), prompt.begin() + m.tokens);
    return m;
}

int KvPool::blocks_needed(int sequence, int new_tokens) const {
    const Sequence& s = seqs_.at(sequence);
    const int len = s.table.length();
    int need = std::max(0, layout_.blocks_for(std::int64_t(len) + new_tokens) - s.table.logical_blocks());
    if (new_tokens > 0 && len % block_size() != 0 && !writable(s.table.block(len / block_size()))) ++need;
    return need;
}

void KvPool::append(int sequence, std::span<const int> tokens, int first_position) {
    Sequence& s = seq(sequence);
    assert(s.pending_length < 0 && "append twice without commit");
    const int bs = block_size();
    const int old = s.table.length(), n = int(tokens.size());
    s.pending_length = old;
    if (n == 0) return;
    // Writing into a partly filled last block that others share, or whose tokens the prefix
    // cache holds: give this sequence its own copy first. A shared original loses this
    // sequence's reference at once (so that the last sharer of a batch writes in place); a
    // cached one keeps it until commit, so that nothing can reclaim it before it is copied.
    // Either way rollback can put it back.
    if (old % bs != 0) {
        const int logical = old / bs;
        const int original = s.table.blocks_[std::size_t(logical)];
        if (!writable(original)) {
            const int copy = take_block(sequence, logical);
            copies_.push_back({original, copy});
            record(BlockEventKind::Copied, copy, sequence, logical, original);
            s.table.blocks_[std::size_t(logical)] = copy;
            const bool shared = alloc_.refcount(original) > 1;
            if (shared) drop_block(original, sequence, logical);
            s.pending_cow.push_back({logical, shared ? -1 - original : original});
        }
    }
    const int need = layout_.blocks_for(std::int64_t(old) + n);
    while (s.table.logical_blocks() < need) {
        const int logical = s.table.logical_blocks();
        s.table.blocks_.push_back(take_block(sequence, logical));
    }
    s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
    if (!s.table.positions_.empty() || first_position != old) {
        if (s.table.positions_.empty()) {
            s.table.positions_.resize(std::size_t(old));
            std::iota(s.table.positions_.begin(), s.table.positions_.end(), 0);
        }
        for (int i = 0; i < n; ++i) s.table.positions_.push_back(first_position + i);
    }
    s.table.length_ = old + n;
}

std::vector<BlockCopy> KvPool::take_copies() {
    std::vector<BlockCopy> out;
    out.swap(copies_);
    return out;
}

void KvPool::commit(int sequence) {
    Sequence& s = seq(sequence);
    for (const auto& [logical, original] : s.pending_cow)
        if (original >= 0) drop_block(original, sequence, logical);
    s.pending_cow.clear();
    s.pending_length = -1;
    if (prefix_caching_) register_full_blocks(s);
}

void KvPool::rollback(int sequence) {
    Sequence& s = seq(sequence);
    if (s.pending_length < 0) return;
    for (const auto& [logical, entry] : s.pending_cow) {
        const int original = entry >= 0 ? entry : -1 - entry;
        if (entry < 0) alloc_.retain(original);  // the reference given up at append
        const int copy = s.table.blocks_[std::size_t(logical)];
        s.table.blocks_[std::size_t(logical)] = original;
        drop_block(copy, sequence, logical);
    }
    s.pending_cow.clear();
    const int length = s.pending_length;
    s.pending_length = -1;
    (void)truncate(sequence, length);
}

// Registers the blocks that became full. Slots that no longer hold their own positions
// (after eviction) describe no prompt prefix and are never registered.
void KvPool::register_full_blocks(Sequence& s) {
    if (!s.table.positions_.empty()) return;
    const int bs = block_size();
    const int full = s.table.length() / bs;
    for (int k = int(s.keys.size()); k < full; ++k) {
        const std::uint64_t parent = k == 0 ? PrefixIndex::kRoot : s.keys[std::size_t(k - 1)];
        const auto block_tokens = std::span<const int>(s.tokens).subspan(std::size_t(k) * bs, std::size_t(bs));
        const int b = s.table.block(k);
        if (!index_.contains(b) && index_.insert(b, parent, block_tokens)) alloc_.set_registered(b, true);
        s.keys.push_back(PrefixIndex::chain(parent, block_tokens));
    }
}

KvPoolUsage KvPool::usage() const {
    KvPoolUsage u;
    u.block_size = block_size();
    u.n_blocks = layout_.n_blocks;
    u.used_blocks = alloc_.used_count();
    u.cached_blocks = alloc_.cached_count();
    u.free_blocks = alloc_.free_count();
    for (int b = 0; b < u.n_blocks; ++b)
        if (alloc_.refcount(b) > 1) ++u.shared_blocks;
    u.block_bytes = layout_.block_bytes();
    u.pool_bytes = u.block_bytes * u.n_blocks;
    u.bytes_held = u.block_bytes * u.used_blocks;
    u.bytes_cached = u.block_bytes * u.cached_blocks;
    for (const auto& [id, s] : seqs_) {
        SequenceKvUsage q;
        q.sequence = id;
        q.tokens = s.table.length();
        q.blocks = s.table.logical_blocks();
        for (int b : s.table.blocks())
            if (alloc_.refcount(b) > 1) ++q.shared_blocks;
        q.bytes_held = u.block_bytes * q.blocks;
        q.formula_bytes = layout_.bytes_for(q.tokens);
        u.formula_bytes += q.formula_bytes;
        u.sequences.push_back(q);
    }
    return u;
}

}  // namespace kvs
