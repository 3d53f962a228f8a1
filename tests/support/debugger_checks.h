#pragma once
// What the debugger must do on any backend (CPU and Vulkan tests call these): going back and
// continuing greedily gives stories260K's known ids and the same cache bytes; a seeded sampled
// run replays the same tokens; a forced token lands in the output and in the cache; branches
// share blocks, with counts worked out by hand. Callers return when QTest::currentTestFailed().
#include <QtTest>

#include <cstring>
#include <functional>
#include <memory>

#include "core/backend.h"
#include "model/model.h"
#include "session/debugger.h"
#include "test_paths.h"

namespace kvs::test {

using BackendMaker = std::function<std::unique_ptr<Backend>(const BackendOptions&)>;

inline std::vector<int> stories_known_ids() {
    return {std::begin(kStoriesGreedyIds), std::end(kStoriesGreedyIds)};
}

// Every K and V value of a sequence's cache, layer by layer and head by head.
inline std::vector<float> cache_values(const Backend& b, int sequence) {
    std::vector<float> all, k, v;
    for (int l = 0; l < b.kv_layout().n_layers; ++l)
        for (int h = 0; h < b.kv_layout().n_kv_heads; ++h) {
            if (!b.read_kv(sequence, l, h, k, v).ok()) qFatal("read_kv failed");
            all.insert(all.end(), k.begin(), k.end());
            all.insert(all.end(), v.begin(), v.end());
        }
    return all;
}

inline bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

#define KVS_CHECK_OK(expr)                                                          \
    do {                                                                           \
        auto&& r_ = (expr);                                                         \
        QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().message.c_str());             \
    } while (0)

// Greedy: run 56 new tokens (the known 61 ids), go back to step `back`, run again: the same ids
// and, byte for byte, the same cache. Blocks of 4 positions: the prompt is 5 tokens, so after
// 56 steps the cache holds 5 + 56 - 1 = 60 positions (15 blocks); back at step 20 it holds
// 5 + 20 - 1 = 24 (6 blocks): 9 blocks go back to the pool.
inline void check_rewind_greedy(std::shared_ptr<const Model> model, const BackendMaker& make, bool keep_branch) {
    BackendOptions o;
    o.block_size = 4;
    Debugger d(model, make(o), SessionOptions{});
    KVS_CHECK_OK(d.start(kStoriesPrompt));
    KVS_CHECK_OK(d.run(56));
    QCOMPARE(d.session().tokens(), stories_known_ids());
    const KvPool& kv = d.session().backend().kv();
    const int seq = d.session().active().id;
    QCOMPARE(kv.length(seq), 60);
    QCOMPARE(kv.table(seq).logical_blocks(), 15);
    const std::vector<float> before = cache_values(d.session().backend(), seq);
    const int free_before = kv.allocator().free_count();

    KVS_CHECK_OK(d.rewind(20, keep_branch));
    const int now = d.session().active().id;
    QCOMPARE(int(d.session().tokens().size()), 25);
    QCOMPARE(kv.length(now), 24);
    QCOMPARE(kv.table(now).logical_blocks(), 6);
    QCOMPARE(int(d.records().size()), 20);
    // Dropping the steps frees 9 blocks; keeping them as a branch frees none (the old branch
    // still holds all 15, six of them now shared).
    QCOMPARE(kv.allocator().free_count(), free_before + (keep_branch ? 0 : 9));

    KVS_CHECK_OK(d.run(56));
    QCOMPARE(d.session().tokens(), stories_known_ids());
    QVERIFY(same_bytes(cache_values(d.session().backend(), now), before));
    QCOMPARE(int(d.records().size()), 56);
}

// Temperature 0.8, top-p 0.9, seed 7: going back to any step and running again draws the same
// tokens as the first run and as a plain session.
inline void check_sampled_replay(std::shared_ptr<const Model> model, const BackendMaker& make) {
    SessionOptions so;
    so.sampling.temperature = 0.8f;
    so.sampling.top_p = 0.9f;
    so.sampling.seed = 7;
    GenerationSession plain(model, make({}), so);
    KVS_CHECK_OK(plain.start(kStoriesPrompt));
    KVS_CHECK_OK(plain.run(40));
    const std::vector<int> first = plain.tokens();
    QCOMPARE(int(first.size()), 45);

    Debugger d(model, make({}), so);
    KVS_CHECK_OK(d.start(kStoriesPrompt));
    KVS_CHECK_OK(d.run(40));
    QCOMPARE(d.session().tokens(), first);
    for (int back : {33, 10, 1, 0}) {
        KVS_CHECK_OK(d.rewind(back, false));
        QCOMPARE(int(d.session().tokens().size()), 5 + back);
        KVS_CHECK_OK(d.run(40));
        QCOMPARE(d.session().tokens(), first);
    }
}

// Forcing the second most likely token at step 10 of the greedy run: it is the token at
// position 15, the cache holds it once the next step has fed it, and the step says so.
inline void check_forced_token(std::shared_ptr<const Model> model, const BackendMaker& make) {
    Debugger d(model, make({}), SessionOptions{});
    KVS_CHECK_OK(d.start(kStoriesPrompt));
    KVS_CHECK_OK(d.run(20));
    const StepFinished step10 = d.records()[10].step;
    QCOMPARE(step10.sampled_token, stories_known_ids()[15]);
    const int second = step10.top[1].id;
    QVERIFY(second != stories_known_ids()[15]);

    KVS_CHECK_OK(d.rewind(10));
    KVS_CHECK_OK(d.force(second));
    KVS_CHECK_OK(d.step(2));
    QCOMPARE(d.session().tokens()[15], second);
    const StepRecord& r = d.records()[10];
    QVERIFY(r.step.forced);
    QCOMPARE(r.step.sampled_token, second);
    QCOMPARE(r.step.sampler_token, stories_known_ids()[15]);
    const KvPool& kv = d.session().backend().kv();
    const int seq = d.session().active().id;
    QCOMPARE(kv.length(seq), 16);
    QCOMPARE(kv.tokens(seq)[15], second);
    QCOMPARE(d.branch_info(d.active_branch()).forced.at(10), second);
    // The old branch still has the known continuation.
    const BranchInfo old = d.branch_info(0);
    const std::vector<int> known = stories_known_ids();
    QCOMPARE(old.tokens, std::vector<int>(known.begin(), known.begin() + 25));
}

// Blocks of 4, prompt of 5. After 20 steps the cache holds 24 positions = blocks b0..b5. A
// branch at step 10 keeps 5 + 10 - 1 = 14 positions: b0..b3 (b3 half full), each now held
// twice. Running it 10 steps to 24 positions copies b3 before writing slot 14 (copy on write)
// and takes two more: the branch holds 3 shared + 3 own blocks, the old branch likewise, and
// the pool 9. Dropping the old branch returns exactly its 3 own blocks.
inline void check_branch_blocks(std::shared_ptr<const Model> model, const BackendMaker& make) {
    BackendOptions o;
    o.block_size = 4;
    Debugger d(model, make(o), SessionOptions{});
    KVS_CHECK_OK(d.start(kStoriesPrompt));
    KVS_CHECK_OK(d.run(20));
    const KvPool& kv = d.session().backend().kv();
    const int n = kv.allocator().n_blocks();
    QCOMPARE(kv.allocator().used_count(), 6);

    auto b = d.branch(0, 10);
    KVS_CHECK_OK(b);
    const int child = b.value();
    QCOMPARE(d.active_branch(), child);
    QCOMPARE(kv.allocator().used_count(), 6);
    const std::vector<int> parent_blocks(kv.table(d.branch_info(0).sequence).blocks().begin(),
                                         kv.table(d.branch_info(0).sequence).blocks().end());
    for (int i = 0; i < 4; ++i) QCOMPARE(kv.allocator().refcount(parent_blocks[std::size_t(i)]), 2);
    for (int i = 4; i < 6; ++i) QCOMPARE(kv.allocator().refcount(parent_blocks[std::size_t(i)]), 1);
    BranchInfo c = d.branch_info(child);
    QCOMPARE(c.blocks, 4);
    QCOMPARE(c.shared_blocks, 4);
    QCOMPARE(c.own_blocks, 0);

    KVS_CHECK_OK(d.force(stories_known_ids()[15] == 300 ? 301 : 300));
    KVS_CHECK_OK(d.run(20));
    QCOMPARE(kv.allocator().used_count(), 9);
    c = d.branch_info(child);
    const BranchInfo p = d.branch_info(0);
    QCOMPARE(c.blocks, 6);
    QCOMPARE(c.shared_blocks, 3);
    QCOMPARE(c.own_blocks, 3);
    QCOMPARE(p.blocks, 6);
    QCOMPARE(p.shared_blocks, 3);
    QCOMPARE(p.own_blocks, 3);
    QCOMPARE(c.own_bytes, 3 * kv.layout().block_bytes());
    QCOMPARE(c.tokens[15] != p.tokens[15], true);
    QVERIFY(std::equal(p.tokens.begin(), p.tokens.begin() + 15, c.tokens.begin()));

    const int free_before = kv.allocator().free_count();
    QVERIFY(!d.drop_branch(child).ok());  // the active one
    KVS_CHECK_OK(d.drop_branch(0));
    QCOMPARE(kv.allocator().free_count(), free_before + 3);
    QCOMPARE(kv.allocator().free_count(), n - 6);
    for (int blk : kv.table(d.branch_info(child).sequence).blocks()) QCOMPARE(kv.allocator().refcount(blk), 1);
    QCOMPARE(d.branch_info(child).parent, -1);
}

}  // namespace kvs::test
