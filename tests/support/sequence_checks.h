#pragma once
// Checks of several sequences sharing one KV pool, run on either backend (a factory makes a
// fresh backend): batches give what each sequence gives alone, the prefix cache skips exactly
// the shared blocks, copy on write keeps diverging sequences apart.
#include <QtTest>

#include <algorithm>
#include <functional>
#include <memory>

#include "core/backend.h"
#include "core/cost_model.h"
#include "lockstep.h"
#include "model/model.h"
#include "session/generation_session.h"

namespace kvs::test {

using BackendFactory = std::function<std::unique_ptr<Backend>(BackendOptions)>;

struct EventLog : EventObserver {
    std::vector<Event> events;
    void on_event(const Event& e) override { events.push_back(e); }
    template <typename T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& e : events)
            if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
        return out;
    }
};

// Greedy tokens of each prompt, run in one session.
inline std::vector<std::vector<int>> greedy_tokens(const BackendFactory& make, std::shared_ptr<const Model> model,
                                                   const std::vector<std::vector<int>>& prompts, int new_tokens,
                                                   BackendOptions o = {}, EventLog* log = nullptr) {
    o.max_sequences = int(prompts.size());
    SessionOptions so;
    so.sampling.temperature = 0.0f;
    GenerationSession s(model, make(o), so, log);
    if (!s.start_ids_many(prompts).ok() || !s.run(new_tokens).ok()) return {};
    std::vector<std::vector<int>> out;
    for (int i = 0; i < s.sequences(); ++i) out.push_back(s.tokens(i));
    return out;
}

// Four prompts decoded together give exactly the tokens each gives alone.
inline void check_batch_equals_alone(const BackendFactory& make, std::shared_ptr<const Model> model,
                                     const std::vector<std::vector<int>>& prompts, int new_tokens) {
    EventLog log;
    const auto together = greedy_tokens(make, model, prompts, new_tokens, {}, &log);
    QCOMPARE(together.size(), prompts.size());
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const auto alone = greedy_tokens(make, model, {prompts[i]}, new_tokens);
        QCOMPARE(alone.size(), std::size_t(1));
        QCOMPARE(together[i], alone[0]);
    }
    // Every decode step was one pass over all unfinished sequences: their StepStarted events
    // share the step and their finished events the pass's wall time.
    std::map<int, std::vector<StepFinished>> by_step;
    for (const auto& f : log.all<StepFinished>()) by_step[f.step].push_back(f);
    for (const auto& [step, finished] : by_step) {
        QCOMPARE(finished.size(), prompts.size());  // no sequence stops early with these prompts
        for (const auto& f : finished) QCOMPARE(f.wall_ms, finished.front().wall_ms);
    }
}

// Two sequences forked at a position inside a block, fed different tokens in one batch: the
// child copies the shared block before writing; both give what a sequence alone gives.
inline void check_fork_copy_on_write(const BackendFactory& make, const std::vector<int>& prompt, int fork_at,
                                     int parent_token, int child_token) {
    BackendOptions o;
    o.max_sequences = 2;
    auto b = make(o);
    ForwardOutput out;
    QVERIFY(b->forward(std::span<const int>(prompt.data(), std::size_t(fork_at)), 0, false, {}, out).ok());
    auto child = b->kv().fork(Backend::kDefaultSequence);
    QVERIFY(child.ok());
    const int logical = fork_at / b->kv_layout().block_positions();
    const int shared = b->kv().table(*child).block(logical);
    const int used_before = b->kv().allocator().used_count();
    ForwardBatch batch;
    batch.sequences.push_back({Backend::kDefaultSequence, std::span<const int>(&parent_token, 1)});
    batch.sequences.push_back({*child, std::span<const int>(&child_token, 1)});
    QVERIFY(b->forward(batch, out).ok());
    const int vocab = int(out.logits.size()) / 2;
    // The first of the two to write (the parent, first in the batch) copied the shared, partly
    // filled block; the child then wrote the original in place: one block more in all.
    const int parent_block = b->kv().table(Backend::kDefaultSequence).block(logical);
    QVERIFY(parent_block != shared);
    QCOMPARE(b->kv().table(*child).block(logical), shared);
    QCOMPARE(b->kv().allocator().used_count(), used_before + 1);
    QCOMPARE(b->kv().allocator().refcount(shared), 1);
    for (int which = 0; which < 2; ++which) {
        auto alone = make({});
        std::vector<int> ids(prompt.begin(), prompt.begin() + fork_at);
        ids.push_back(which == 0 ? parent_token : child_token);
        ForwardOutput ref;
        QVERIFY(alone->forward(ids, 0, false, {}, ref).ok());
        const std::vector<float> got(out.logits.begin() + which * vocab, out.logits.begin() + (which + 1) * vocab);
        QVERIFY2(max_abs_diff(got, ref.logits) <= 1e-5f,
                 qPrintable(QString("sequence %1: max diff %2").arg(which).arg(max_abs_diff(got, ref.logits))));
    }
    // Removing the child gives back exactly its own block; the shared full blocks stay.
    const int free_before = b->kv().allocator().free_count();
    b->kv().remove(*child);
    QCOMPARE(b->kv().allocator().free_count(), free_before + 1);
}

// A second prompt sharing k full blocks with the first: the same tokens as without the prefix
// cache; its prefill computes exactly k x block size positions fewer, and the FLOPs of every
// per-position op drop by exactly that many positions' worth.
inline void check_prefix_cache(const BackendFactory& make, std::shared_ptr<const Model> model, const std::vector<int>& a,
                               const std::vector<int>& b, int shared_blocks, int new_tokens) {
    const int bs = 16;
    BackendOptions o;
    o.block_size = bs;
    EventLog plain, cached;
    const auto without = greedy_tokens(make, model, {a, b}, new_tokens, o, &plain);
    o.prefix_cache = true;
    const auto with = greedy_tokens(make, model, {a, b}, new_tokens, o, &cached);
    QCOMPARE(with, without);

    auto prefill_of = [](const EventLog& log, int sequence) {
        for (const auto& f : log.all<StepFinished>())
            if (f.step == 0 && f.sequence == sequence) return f;
        return StepFinished{};
    };
    const int k_positions = shared_blocks * bs;
    QCOMPARE(prefill_of(plain, 1).n_positions, int(b.size()));
    QCOMPARE(prefill_of(cached, 1).n_positions, int(b.size()) - k_positions);
    QCOMPARE(prefill_of(cached, 0).n_positions, int(a.size()));  // the first prompt finds nothing

    const auto hits = cached.all<PrefixHit>();
    QCOMPARE(hits.size(), std::size_t(1));
    QCOMPARE(hits[0].sequence, 1);
    QCOMPARE(hits[0].reused_tokens, k_positions);
    QCOMPARE(hits[0].full_blocks, shared_blocks);

    // Prefill FLOPs of sequence 1 per (layer, op).
    auto flops = [](const EventLog& log, OpKind op) {
        double f = 0;
        for (const auto& c : log.all<OpCostEvent>())
            if (c.step == 0 && c.sequence == 1 && c.op == op) f += c.flops;
        return f;
    };
    const ModelConfig& c = model->config;
    const double per_position_qkv = 2.0 * c.dim * (c.dim + 2.0 * c.kv_dim()) * c.n_layers;
    const double per_position_ffn_down = 2.0 * c.hidden_dim * c.dim * c.n_layers;
    QCOMPARE(flops(plain, OpKind::QkvProjection) - flops(cached, OpKind::QkvProjection), k_positions * per_position_qkv);
    QCOMPARE(flops(plain, OpKind::FfnDown) - flops(cached, OpKind::FfnDown), k_positions * per_position_ffn_down);
    double total_plain = 0, total_cached = 0;
    for (const auto& e : plain.all<OpCostEvent>())
        if (e.step == 0 && e.sequence == 1) total_plain += e.flops;
    for (const auto& e : cached.all<OpCostEvent>())
        if (e.step == 0 && e.sequence == 1) total_cached += e.flops;
    QCOMPARE(total_plain - total_cached, hits[0].flops_saved);

    // The two sequences' tables start with the same physical blocks.
    const auto shared = std::count_if(cached.events.begin(), cached.events.end(), [](const Event& e) {
        const auto* be = std::get_if<BlockEvent>(&e);
        return be && be->kind == BlockEventKind::Shared && be->sequence == 1;
    });
    QCOMPARE(int(shared), shared_blocks);
}

// Two prompts diverging inside a block the prefix cache holds: the second shares the block's
// first tokens, copies it before its first write, and both give what they give without sharing.
inline void check_prefix_divergence_copies(const BackendFactory& make, std::shared_ptr<const Model> model,
                                           const std::vector<int>& a, const std::vector<int>& b, int reused,
                                           int new_tokens) {
    BackendOptions o;
    o.block_size = 16;
    const auto without = greedy_tokens(make, model, {a, b}, new_tokens, o);
    o.prefix_cache = true;
    EventLog log;
    const auto with = greedy_tokens(make, model, {a, b}, new_tokens, o, &log);
    QCOMPARE(with, without);
    const auto hits = log.all<PrefixHit>();
    QCOMPARE(hits.size(), std::size_t(1));
    QCOMPARE(hits[0].reused_tokens, reused);
    QCOMPARE(hits[0].partial_tokens, reused % 16);
    int copies = 0, copied_from = -1, shared_partial = -1;
    for (const auto& e : log.all<BlockEvent>()) {
        if (e.sequence != 1) continue;
        if (e.kind == BlockEventKind::Shared && e.logical == reused / 16) shared_partial = e.block;
        if (e.kind == BlockEventKind::Copied) ++copies, copied_from = e.source;
    }
    QCOMPARE(copies, 1);
    QCOMPARE(copied_from, shared_partial);
}

}  // namespace kvs::test
