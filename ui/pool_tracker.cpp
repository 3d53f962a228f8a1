#include "pool_tracker.h"

#include <algorithm>

namespace kvs::ui {

const std::vector<int>& PoolTracker::table(int sequence) const {
    static const std::vector<int> kEmpty;
    for (const auto& [id, t] : tables_)
        if (id == sequence) return t;
    return kEmpty;
}

std::vector<int>& PoolTracker::table_of(int sequence) {
    for (auto& [id, t] : tables_)
        if (id == sequence) return t;
    tables_.push_back({sequence, {}});
    return tables_.back().second;
}

int PoolTracker::tokens(int sequence) const {
    for (const auto& [id, n] : tokens_)
        if (id == sequence) return n;
    return 0;
}

std::vector<int> PoolTracker::sequences() const {
    std::vector<int> ids;
    for (const auto& [id, t] : tables_) ids.push_back(id);
    for (const auto& [id, n] : tokens_)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

void PoolTracker::set_table(int sequence, int logical, int block) {
    if (sequence < 0 || logical < 0) return;
    std::vector<int>& t = table_of(sequence);
    if (int(t.size()) <= logical) t.resize(std::size_t(logical) + 1, -1);
    t[std::size_t(logical)] = block;
}

// A table loses blocks from its end (truncate, remove) or has one replaced (copy on write, whose
// new block is already in place): only an entry that still names `block` goes.
void PoolTracker::drop_from_table(int sequence, int logical, int block) {
    if (sequence < 0 || logical < 0) return;
    std::vector<int>& t = table_of(sequence);
    if (logical < int(t.size()) && t[std::size_t(logical)] == block) t[std::size_t(logical)] = -1;
    while (!t.empty() && t.back() < 0) t.pop_back();
}

bool PoolTracker::apply(const kvs::Event& e) {
    if (const auto* r = std::get_if<kvs::RunStarted>(&e)) {
        clear();
        block_size_ = r->kv_layout.block_positions();
        block_bytes_ = r->kv_layout.block_bytes();
        blocks_.assign(std::size_t(std::max(0, r->kv_layout.pool_blocks())), Block{});
        for (int b : r->cached_blocks)
            if (b >= 0 && b < int(blocks_.size())) blocks_[std::size_t(b)].state = State::Cached;
        for (const auto& s : r->sequences) table_of(s.sequence);
        ++changes_;
        return true;
    }
    if (const auto* b = std::get_if<kvs::BlockEvent>(&e)) {
        if (b->block < 0 || b->block >= int(blocks_.size())) return false;
        Block& blk = blocks_[std::size_t(b->block)];
        blk.refcount = b->refcount;
        auto drop_holder = [&] {
            blk.holders.erase(std::remove(blk.holders.begin(), blk.holders.end(), b->sequence), blk.holders.end());
        };
        switch (b->kind) {
            case kvs::BlockEventKind::Allocated:
            case kvs::BlockEventKind::Copied:
                if (b->kind == kvs::BlockEventKind::Allocated || blk.holders.empty()) {
                    blk.state = State::Used;
                    blk.holders = {b->sequence};
                    blk.logical = b->logical;
                }
                set_table(b->sequence, b->logical, b->block);
                break;
            case kvs::BlockEventKind::Shared:
                if (blk.state != State::Used) blk.logical = b->logical;
                blk.state = State::Used;
                if (std::find(blk.holders.begin(), blk.holders.end(), b->sequence) == blk.holders.end())
                    blk.holders.push_back(b->sequence);
                set_table(b->sequence, b->logical, b->block);
                break;
            case kvs::BlockEventKind::Released:
                drop_holder();
                drop_from_table(b->sequence, b->logical, b->block);
                break;
            case kvs::BlockEventKind::Cached:
            case kvs::BlockEventKind::Freed:
            case kvs::BlockEventKind::Evicted:
                drop_holder();
                drop_from_table(b->sequence, b->logical, b->block);
                blk.holders.clear();
                blk.state = b->kind == kvs::BlockEventKind::Cached ? State::Cached : State::Free;
                break;
        }
        if (blk.holders.empty() && blk.state == State::Used) blk.state = State::Free;
        ++changes_;
        return true;
    }
    if (const auto* p = std::get_if<kvs::PoolState>(&e)) {
        usage_ = p->usage;
        MemoryPoint m;
        m.step = p->step;
        m.bytes_held = p->usage.bytes_held;
        m.formula_bytes = p->usage.formula_bytes;
        m.bytes_cached = p->usage.bytes_cached;
        std::int64_t per_sequence = 0;
        for (const auto& q : p->usage.sequences) {
            m.sequence_bytes.push_back({q.sequence, q.bytes_held});
            m.tail_bytes += q.waste_bytes();
            per_sequence += q.bytes_held;
            auto it = std::find_if(tokens_.begin(), tokens_.end(), [&](const auto& t) { return t.first == q.sequence; });
            if (it == tokens_.end()) tokens_.push_back({q.sequence, q.tokens});
            else it->second = q.tokens;
        }
        m.shared_bytes = per_sequence - m.bytes_held;
        history_.push_back(std::move(m));
        ++changes_;
        return true;
    }
    return false;
}

}  // namespace kvs::ui
