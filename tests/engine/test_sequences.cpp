// Several sequences in one KV pool on the CPU backend: decoded together they give exactly what
// each gives alone; the prefix cache skips exactly the shared blocks (positions and FLOPs) and
// changes no token; sequences diverging inside a shared block copy it first.
#include <QtTest>

#include "core/backend.h"
#include "sequence_checks.h"
#include "test_paths.h"

using namespace kvs;

class TestSequences : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    const std::vector<int> known_{std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds)};
    test::BackendFactory cpu_ = [this](BackendOptions o) {
        auto b = create_backend("cpu", model_, o, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    };

    std::vector<int> encode(const char* text) const { return model_->tokenizer->encode_prompt(text); }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void fourPromptsTogetherGiveWhatEachGivesAlone() {
        const std::vector<std::vector<int>> prompts = {encode("Once upon a time"), encode("The little dog"),
                                                       encode("Tom had a big red ball and"), encode("One day")};
        test::check_batch_equals_alone(cpu_, model_, prompts, 24);
        // The first prompt keeps llama2.c's known output.
        const auto together = test::greedy_tokens(cpu_, model_, prompts, 56);
        QCOMPARE(together[0], known_);
    }

    void forkedSequencesCopyOnWrite() { test::check_fork_copy_on_write(cpu_, known_, 21, known_[21], 300); }

    // Prompt B shares A's first 32 tokens (two blocks of 16), then differs.
    void prefixCacheSkipsExactlyTheSharedBlocks() {
        const std::vector<int> a(known_.begin(), known_.begin() + 40);
        std::vector<int> b(known_.begin(), known_.begin() + 32);
        for (int t : {300, 301, 302, 303, 304, 305}) b.push_back(t);
        test::check_prefix_cache(cpu_, model_, a, b, 2, 12);
        // By hand for stories260K: a position's QKV projection is 2 x 64 x (64 + 32 + 32) = 16,384
        // FLOPs per layer, 81,920 over 5 layers; 32 positions fewer are 2,621,440 FLOPs fewer.
        QCOMPARE(2.0 * 64 * (64 + 32 + 32) * 5 * 32, 2621440.0);
        QCOMPARE(model_->config.dim, 64);
        QCOMPARE(model_->config.kv_dim(), 32);
    }

    void prefixDivergingInsideACachedBlockCopiesIt() {
        const std::vector<int> a(known_.begin(), known_.begin() + 40);
        std::vector<int> b(known_.begin(), known_.begin() + 20);  // block 0 and 4 tokens of block 1
        for (int t : {300, 301, 302, 303, 304, 305}) b.push_back(t);
        test::check_prefix_divergence_copies(cpu_, model_, a, b, 20, 10);
    }

    // A later run in the same session finds the blocks an earlier run left (unreferenced,
    // cached), and a pool too small for a batch says so.
    void cachedPrefixesOutliveTheirRunAndFullPoolsAreErrors() {
        BackendOptions o;
        o.prefix_cache = true;
        test::EventLog log;
        SessionOptions so;
        so.sampling.temperature = 0.0f;
        GenerationSession s(model_, cpu_(o), so, &log);
        const std::vector<int> prompt(known_.begin(), known_.begin() + 40);
        QVERIFY(s.start_ids(prompt).ok());
        QVERIFY(s.run(9).ok());  // 48 positions cached: three full blocks, registered
        QVERIFY(s.start_ids(prompt).ok());
        QCOMPARE(std::get<RunStarted>(log.events.back()).cached_blocks.size(), std::size_t(3));
        QVERIFY(s.run(4).ok());
        QCOMPARE(s.reused_tokens(0), 39);  // two full blocks and 7 of the third (the last token is computed)
        QCOMPARE(log.all<PrefixHit>().back().partial_tokens, 7);

        BackendOptions tiny;
        tiny.kv_blocks = 3;  // 48 positions in all
        GenerationSession t(model_, cpu_(tiny), so);
        QVERIFY(t.start_ids_many({prompt, prompt}).ok());
        auto r = t.prefill();
        QVERIFY(!r.ok());
        QVERIFY2(r.message().find("KV pool full") != std::string::npos, r.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestSequences)
#include "test_sequences.moc"
