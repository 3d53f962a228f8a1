// The KV block pool's bookkeeping with numbers worked out by hand: addresses, block spans, the
// allocator's free list, reference counts and LRU, copy on write, rewind, and the prefix cache.
#include <QtTest>

#include <algorithm>
#include <set>

#include "kv/block_allocator.h"
#include "kv/block_table.h"
#include "kv/kv_layout.h"
#include "kv/kv_pool.h"

using namespace kvs;

namespace {

KvLayout small_layout(int block_size, int n_blocks, int capacity = 64) {
    KvLayout l;
    l.n_layers = 2;
    l.n_kv_heads = 1;
    l.head_dim = 2;
    l.capacity = capacity;
    l.block_size = block_size;
    l.n_blocks = n_blocks;
    return l;
}

std::vector<int> ids(int first, int count) {
    std::vector<int> v(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) v[std::size_t(i)] = first + i;
    return v;
}

// Appends and commits, as Backend::forward does around a pass.
void grow(KvPool& pool, int seq, const std::vector<int>& tokens) {
    pool.append(seq, tokens, pool.length(seq));
    pool.commit(seq);
}

int count_kind(const std::vector<BlockEvent>& events, BlockEventKind kind) {
    return int(std::count_if(events.begin(), events.end(), [&](const BlockEvent& e) { return e.kind == kind; }));
}

}  // namespace

class TestKvPool : public QObject {
    Q_OBJECT

private slots:
    void layoutAddressesByHand() {
        // 2 layers, 3 KV heads, head_dim 4, blocks of 5 positions, 7 blocks.
        KvLayout l;
        l.n_layers = 2;
        l.n_kv_heads = 3;
        l.head_dim = 4;
        l.capacity = 20;
        l.block_size = 5;
        l.n_blocks = 7;
        // ((((1*2 + 1)*3 + 2)*7 + 4)*5 + 3)*4 = ((11*7 + 4)*5 + 3)*4 = (81*5 + 3)*4 = 1632
        QCOMPARE(l.offset(1, KvPart::Value, 4, 2, 3), std::int64_t(1632));
        QCOMPARE(l.block_stride(), std::int64_t(20));   // 5 positions x 4
        QCOMPARE(l.head_stride(), std::int64_t(140));   // 7 blocks x 20
        QCOMPARE(l.part_stride(), std::int64_t(420));   // 3 heads x 140
        // Block 5 of a head follows block 4 directly: consecutive blocks are one run per head.
        QCOMPARE(l.offset(1, KvPart::Value, 5, 2, 0), l.offset(1, KvPart::Value, 4, 2, 4) + 4);
        QCOMPARE(l.total_elements(), std::int64_t(1680));  // 2 layers x 2 parts x 420
        QCOMPARE(l.blocks_for(11), 3);
        QCOMPARE(l.blocks_for(15), 3);
        QCOMPARE(l.blocks_for(0), 0);

        // The contiguous cache (one block of the capacity) is the dense array
        // [layer][K|V][head][position][dim]: (1, V, head 2, position 7) of capacity 10 is
        // ((1*2 + 1)*3 + 2)*10 + 7 = 117 rows in, 468 elements.
        KvLayout dense = l;
        dense.capacity = 10;
        dense.block_size = 0;
        dense.n_blocks = 0;
        QCOMPARE(dense.pool_blocks(), 1);
        QVERIFY(dense.contiguous());
        QCOMPARE(dense.offset(1, KvPart::Value, 0, 2, 7), std::int64_t(468));
    }

    void storiesBytesByHand() {
        // stories260K: 5 layers, 4 KV heads, head_dim 8, F32. Per token 2 x 5 x 4 x 8 x 4 = 1280
        // bytes; a block of 16 positions 20,480 bytes; the 512-position context 32 blocks.
        KvLayout l;
        l.n_layers = 5;
        l.n_kv_heads = 4;
        l.head_dim = 8;
        l.capacity = 512;
        l.block_size = 16;
        QCOMPARE(l.bytes_per_token(), std::int64_t(1280));
        QCOMPARE(l.block_bytes(), std::int64_t(20480));
        QCOMPARE(l.pool_blocks(), 32);
        QCOMPARE(l.bytes_allocated(), std::int64_t(655360));
    }

    void tableSpansByHand() {
        const BlockTable t(4, {7, 2, 5}, 10);
        QCOMPARE(t.block_of(9), 5);
        QCOMPARE(t.slot_in_block(9), 1);
        QCOMPARE(t.last_block_fill(), 2);
        std::vector<std::array<int, 4>> spans;
        t.for_each_span(3, 9, [&](const BlockSpan& s) { spans.push_back({s.first, s.count, s.block, s.block_slot}); });
        const std::vector<std::array<int, 4>> want = {{3, 1, 7, 3}, {4, 4, 2, 0}, {8, 1, 5, 0}};
        QCOMPARE(spans, want);
        // Runs merge physically consecutive blocks: 2, 3 | 9 | 4, 5, 6.
        const BlockTable r(4, {2, 3, 9, 4, 5, 6}, 22);
        std::vector<std::array<int, 4>> runs;
        r.for_each_run(1, 22, [&](const BlockSpan& s) { runs.push_back({s.first, s.count, s.block, s.block_slot}); });
        const std::vector<std::array<int, 4>> want_runs = {{1, 7, 2, 1}, {8, 4, 9, 0}, {12, 10, 4, 0}};
        QCOMPARE(runs, want_runs);
        QCOMPARE(t.position(6), 6);  // no eviction: slots hold their own positions
    }

    void allocatorOrdersAndReuse() {
        BlockAllocator up(4);
        QCOMPARE(up.allocate().block, 0);
        QCOMPARE(up.allocate().block, 1);
        QCOMPARE(up.allocate().block, 2);
        QVERIFY(up.release(1) == BlockAllocator::Release::Freed);
        QCOMPARE(up.allocate().block, 1);  // the block freed last comes back first
        QCOMPARE(up.free_count(), 1);

        BlockAllocator down(4, BlockOrder::Descending);
        QCOMPARE(down.allocate().block, 3);
        QCOMPARE(down.allocate().block, 2);

        BlockAllocator shuffled(16, BlockOrder::Shuffled, 5);
        std::set<int> seen;
        std::vector<int> order;
        for (int i = 0; i < 16; ++i) order.push_back(shuffled.allocate().block), seen.insert(order.back());
        QCOMPARE(int(seen.size()), 16);
        QVERIFY(!std::is_sorted(order.begin(), order.end()));
        BlockAllocator again(16, BlockOrder::Shuffled, 5);
        QCOMPARE(again.allocate().block, order[0]);  // the same seed, the same order
    }

    void allocatorKeepsRegisteredBlocksAndEvictsTheOldest() {
        BlockAllocator a(3);
        const int b0 = a.allocate().block, b1 = a.allocate().block, b2 = a.allocate().block;
        a.set_registered(b0, true);
        a.set_registered(b2, true);
        a.retain(b2);
        QVERIFY(a.release(b2) == BlockAllocator::Release::StillShared);
        QVERIFY(a.release(b2) == BlockAllocator::Release::Cached);  // released first
        QVERIFY(a.release(b0) == BlockAllocator::Release::Cached);
        QVERIFY(a.release(b1) == BlockAllocator::Release::Freed);
        QCOMPARE(a.cached_count(), 2);
        QCOMPARE(a.free_count(), 1);
        QCOMPARE(a.cached_blocks(), (std::vector<int>{b2, b0}));
        QCOMPARE(a.allocate().block, b1);  // free blocks first
        const BlockAllocator::Grant g = a.allocate();  // then the least recently released cached one
        QCOMPARE(g.block, b2);
        QCOMPARE(g.evicted, b2);
        QVERIFY(!a.registered(b2));
        a.retain(b0);  // a cached block revived by a prefix hit leaves the LRU list
        QCOMPARE(a.cached_count(), 0);
        QCOMPARE(a.refcount(b0), 1);
    }

    void appendTruncateAndUsage() {
        // stories260K's shape at block size 16: 21 tokens hold 2 blocks = 40,960 bytes against the
        // formula's 21 x 1,280 = 26,880; the difference is the 11 empty slots of block 2.
        KvLayout l;
        l.n_layers = 5;
        l.n_kv_heads = 4;
        l.head_dim = 8;
        l.capacity = 512;
        l.block_size = 16;
        KvPool pool(l);
        const int s = pool.create_sequence();
        grow(pool, s, ids(0, 21));
        KvPoolUsage u = pool.usage();
        QCOMPARE(u.used_blocks, 2);
        QCOMPARE(u.free_blocks, 30);
        QCOMPARE(u.bytes_held, std::int64_t(40960));
        QCOMPARE(u.formula_bytes, std::int64_t(26880));
        QCOMPARE(u.sequences[0].waste_bytes(), std::int64_t(14080));
        QCOMPARE(u.pool_bytes, std::int64_t(655360));
        // Rewind to 16 tokens: block 1 goes back.
        QVERIFY(pool.truncate(s, 16).ok());
        QCOMPARE(pool.table(s).logical_blocks(), 1);
        QCOMPARE(pool.usage().bytes_held, std::int64_t(20480));
        QCOMPARE(pool.usage().sequences[0].waste_bytes(), std::int64_t(0));
        QVERIFY(!pool.truncate(s, 17).ok());  // cannot grow by truncating
        pool.remove(s);
        QCOMPARE(pool.usage().free_blocks, 32);
    }

    void blocksNeededCountsCopies() {
        KvPool pool(small_layout(4, 8));
        const int a = pool.create_sequence();
        QCOMPARE(pool.blocks_needed(a, 9), 3);
        grow(pool, a, ids(0, 6));
        QCOMPARE(pool.blocks_needed(a, 2), 0);  // fits the last block
        QCOMPARE(pool.blocks_needed(a, 3), 1);
        auto b = pool.fork(a);
        QVERIFY(b.ok());
        QCOMPARE(pool.blocks_needed(*b, 1), 1);  // the shared, partly filled last block is copied
        QCOMPARE(pool.blocks_needed(*b, 3), 2);
    }

    void forkSharesAndCopiesOnWrite() {
        KvPool pool(small_layout(4, 8));
        pool.set_recording(true);
        const int parent = pool.create_sequence();
        grow(pool, parent, ids(10, 6));  // blocks 0 (full) and 1 (2 of 4)
        const int child = *pool.fork(parent);
        QCOMPARE(pool.allocator().refcount(0), 2);
        QCOMPARE(pool.allocator().refcount(1), 2);
        QCOMPARE(pool.usage().shared_blocks, 2);
        (void)pool.take_events();

        // The two diverge inside block 1: the child copies it before writing slot 6.
        pool.append(child, ids(100, 1), 6);
        const auto copies = pool.take_copies();
        QCOMPARE(int(copies.size()), 1);
        QCOMPARE(copies[0].source, 1);
        QCOMPARE(copies[0].target, 2);
        QCOMPARE(pool.table(child).block(1), 2);
        QCOMPARE(pool.table(parent).block(1), 1);
        pool.commit(child);
        QCOMPARE(pool.allocator().refcount(1), 1);  // the parent's own again
        QCOMPARE(pool.allocator().refcount(0), 2);  // the full block stays shared
        // The parent now writes its block 1 in place.
        QCOMPARE(pool.blocks_needed(parent, 1), 0);
        pool.append(parent, ids(200, 1), 6);
        QVERIFY(pool.take_copies().empty());
        pool.commit(parent);
        const auto ev = pool.take_events();
        QCOMPARE(count_kind(ev, BlockEventKind::Allocated), 1);
        QCOMPARE(count_kind(ev, BlockEventKind::Copied), 1);
        QCOMPARE(count_kind(ev, BlockEventKind::Released), 1);

        // Removing the child returns exactly its own blocks: block 2, and one reference to 0.
        const int free_before = pool.allocator().free_count();
        pool.remove(child);
        QCOMPARE(pool.allocator().free_count(), free_before + 1);
        QCOMPARE(pool.allocator().refcount(0), 1);
        QCOMPARE(pool.allocator().refcount(2), 0);
    }

    void rollbackRestoresTheTable() {
        KvPool pool(small_layout(4, 8));
        const int a = pool.create_sequence();
        grow(pool, a, ids(0, 5));
        const int b = *pool.fork(a);
        const std::vector<int> before(pool.table(b).blocks().begin(), pool.table(b).blocks().end());
        pool.append(b, ids(50, 6), 5);  // copies block 1, adds block 2
        QCOMPARE(pool.length(b), 11);
        (void)pool.take_copies();
        pool.rollback(b);
        QCOMPARE(pool.length(b), 5);
        const std::vector<int> after(pool.table(b).blocks().begin(), pool.table(b).blocks().end());
        QCOMPARE(after, before);
        QCOMPARE(pool.allocator().refcount(1), 2);
        QCOMPARE(pool.allocator().free_count(), 6);
    }

    void prefixCacheSharesFullBlocks() {
        KvPool pool(small_layout(4, 16));
        pool.set_prefix_caching(true);
        const int a = pool.create_sequence();
        std::vector<int> prompt_a = ids(1, 10);
        grow(pool, a, prompt_a);  // blocks 0, 1 full and registered; block 2 holds 2 of 4
        QCOMPARE(pool.cached_prefix_blocks(), 2);

        // B shares the first 8 tokens (two blocks), then differs.
        std::vector<int> prompt_b = ids(1, 8);
        for (int t : {70, 71, 72, 73}) prompt_b.push_back(t);
        const int b = pool.create_sequence();
        const PrefixMatch m = pool.attach_prefix(b, prompt_b);
        QCOMPARE(m.full_blocks, 2);
        QCOMPARE(m.tokens, 8);
        QCOMPARE(m.partial_tokens, 0);
        QCOMPARE(pool.length(b), 8);
        QCOMPARE(pool.table(b).block(0), pool.table(a).block(0));
        QCOMPARE(pool.table(b).block(1), pool.table(a).block(1));
        QCOMPARE(pool.allocator().refcount(pool.table(a).block(0)), 2);

        // A prompt equal to A's first 8 tokens reuses only the first block: its last token is
        // always computed (its logits are needed).
        const int c = pool.create_sequence();
        QCOMPARE(pool.attach_prefix(c, std::vector<int>(prompt_a.begin(), prompt_a.begin() + 8)).tokens, 4 + 3);
    }

    void prefixDivergingInsideACachedBlockCopiesIt() {
        KvPool pool(small_layout(4, 16));
        pool.set_prefix_caching(true);
        const int a = pool.create_sequence();
        grow(pool, a, ids(1, 12));  // three full blocks, all registered
        // B = A's first 10 tokens, then others: two full blocks and 2 tokens of A's block 2.
        std::vector<int> prompt_b = ids(1, 10);
        for (int t : {90, 91, 92, 93}) prompt_b.push_back(t);
        const int b = pool.create_sequence();
        const PrefixMatch m = pool.attach_prefix(b, prompt_b);
        QCOMPARE(m.full_blocks, 2);
        QCOMPARE(m.partial_tokens, 2);
        QCOMPARE(m.tokens, 10);
        const int shared = pool.table(a).block(2);
        QCOMPARE(pool.table(b).block(2), shared);
        // Writing slot 10 of B copies the cached block: A's tokens 11 and 12 stay intact.
        QCOMPARE(pool.blocks_needed(b, 4), 2);
        pool.append(b, std::vector<int>(prompt_b.begin() + 10, prompt_b.end()), 10);
        const auto copies = pool.take_copies();
        QCOMPARE(int(copies.size()), 1);
        QCOMPARE(copies[0].source, shared);
        pool.commit(b);
        QCOMPARE(pool.table(a).block(2), shared);
        QVERIFY(pool.table(b).block(2) != shared);
        QCOMPARE(pool.allocator().refcount(shared), 1);
    }

    void unreferencedPrefixesAreKeptUntilThePoolNeedsThem() {
        // 4 blocks of 2 positions.
        KvPool pool(small_layout(2, 4, 8));
        pool.set_prefix_caching(true);
        pool.set_recording(true);
        const int a = pool.create_sequence();
        grow(pool, a, ids(1, 4));  // blocks 0, 1, registered
        pool.remove(a);
        QCOMPARE(pool.allocator().cached_count(), 2);
        QCOMPARE(pool.usage().bytes_held, std::int64_t(0));
        // The same prompt again, later: both blocks come back from the cache (the last token is
        // computed, so one full block and one token of the next).
        const int b = pool.create_sequence();
        const PrefixMatch m = pool.attach_prefix(b, ids(1, 4));
        QCOMPARE(m.full_blocks, 1);
        QCOMPARE(m.partial_tokens, 1);
        pool.remove(b);
        (void)pool.take_events();
        // A sequence needing all 4 blocks takes the 2 free ones, then reclaims the cached ones,
        // least recently released first.
        const int c = pool.create_sequence();
        QCOMPARE(pool.blocks_needed(c, 8), 4);
        grow(pool, c, ids(50, 8));
        const auto ev = pool.take_events();
        QCOMPARE(count_kind(ev, BlockEventKind::Evicted), 2);
        QCOMPARE(count_kind(ev, BlockEventKind::Allocated), 4);
        QCOMPARE(pool.allocator().available(), 0);
        QCOMPARE(pool.cached_prefix_blocks(), 4);  // c's own four blocks are now registered
    }

    void positionsAreDataWhenTheyStopFollowingSlots() {
        KvPool pool(small_layout(4, 8));
        const int a = pool.create_sequence();
        grow(pool, a, ids(0, 3));
        QVERIFY(pool.table(a).positions().empty());
        // Slots 3, 4 hold positions 10, 11 (as after dropping positions 3..9).
        pool.append(a, ids(5, 2), 10);
        pool.commit(a);
        QCOMPARE(pool.table(a).position(2), 2);
        QCOMPARE(pool.table(a).position(3), 10);
        QCOMPARE(pool.table(a).position(4), 11);
        QVERIFY(pool.truncate(a, 4).ok());
        QCOMPARE(int(pool.table(a).positions().size()), 4);
    }
};

QTEST_GUILESS_MAIN(TestKvPool)
#include "test_kv_pool.moc"
