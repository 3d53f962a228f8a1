// The debugger on the CPU backend with stories260K: going back, forcing, branches (the shared
// checks), and every breakpoint kind stopping at the step worked out here from an independent
// record of the run (one forward pass over the whole known sequence, with the entropy, top-1
// probability, argmax and attention computed in this file).
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "debugger_checks.h"
#include "session/breakpoint.h"
#include "shared_models.h"

using namespace kvs;

namespace {

// Per generation step k of a token sequence: what the model's distribution and attention were,
// from one prefill pass over the whole sequence (row prompt - 1 + k predicts token prompt + k).
struct Recorded {
    std::vector<double> entropy, top1;
    std::vector<int> argmax;
    std::vector<std::vector<float>> attention;  // [step][key] of (kLayer, kHead)
};
constexpr int kLayer = 2, kHead = 3, kPrompt = 5;

Recorded record(const Backend& proto, std::shared_ptr<const Model> model, const std::vector<int>& ids) {
    (void)proto;
    auto b = test::make_cpu(model);
    AttentionCapture cap;
    cap.mode = AttentionCapture::Mode::NewRows;
    cap.layers = {kLayer};
    cap.heads = {kHead};
    ForwardOutput out;
    if (!b->forward(ids, 0, true, cap, out).ok()) qFatal("forward failed");
    const int vocab = model->config.vocab_size;
    Recorded r;
    const AttentionRows& rows = out.attention.front();
    for (int k = 0; kPrompt - 1 + k < int(ids.size()) - 1; ++k) {
        const int row = kPrompt - 1 + k;
        const float* l = out.logits.data() + std::size_t(row) * vocab;
        double mx = l[0];
        int arg = 0;
        for (int v = 1; v < vocab; ++v)
            if (l[v] > mx) mx = l[v], arg = v;
        double z = 0;
        for (int v = 0; v < vocab; ++v) z += std::exp(l[v] - mx);
        double h = 0;
        for (int v = 0; v < vocab; ++v) {
            const double p = std::exp(l[v] - mx) / z;
            if (p > 0) h -= p * std::log(p);
        }
        r.entropy.push_back(h);
        r.top1.push_back(1.0 / z);
        r.argmax.push_back(arg);
        r.attention.emplace_back(rows.probs.begin() + std::ptrdiff_t(row) * rows.n_keys,
                                 rows.probs.begin() + std::ptrdiff_t(row) * rows.n_keys + row + 1);
    }
    return r;
}

int first_where(const std::vector<double>& v, const std::function<bool(double)>& f) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (f(v[i])) return int(i);
    return -1;
}

// A threshold between two neighbouring values at least `margin` apart (so that rounding
// differences between a prefill and a decode pass cannot move the hit), chosen to stop as late
// as possible; returns {threshold, expected step}.
std::pair<double, int> threshold(const std::vector<double>& v, bool above, double margin) {
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    std::pair<double, int> best{0, -1};
    for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
        if (sorted[i + 1] - sorted[i] < 2 * margin) continue;
        const double t = (sorted[i] + sorted[i + 1]) / 2;
        const int k = first_where(v, [&](double x) { return above ? x > t : x < t; });
        if (k > best.second) best = {t, k};
    }
    return best;
}

}  // namespace

class TestDebugger : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    test::BackendMaker cpu_ = [this](const BackendOptions& o) {
        auto b = create_backend("cpu", model_, o, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    };

    // A greedy debugger run of at most 56 new tokens with one breakpoint; the step it stopped at.
    int stop_step(const std::string& spec, SessionOptions so = {}, BackendOptions bo = {}) {
        auto b = parse_breakpoint(spec);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        Debugger d(model_, cpu_(bo), so);
        const int id = d.add_breakpoint(*b);
        if (!d.start(test::kStoriesPrompt).ok()) qFatal("start");
        auto stop = d.run(56);
        if (!stop.ok()) qFatal("%s", stop.message().c_str());
        if (stop->cause != DebugStop::Cause::Breakpoint) return -1;
        if (stop->breakpoint != id) qFatal("wrong breakpoint");
        if (d.session().step_index() != stop->step + 1) qFatal("ran past the step");
        return stop->step;
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void rewindGreedyDropping() { test::check_rewind_greedy(model_, cpu_, false); }
    void rewindGreedyKeepingBranch() { test::check_rewind_greedy(model_, cpu_, true); }
    void sampledReplay() { test::check_sampled_replay(model_, cpu_); }
    void forcedToken() { test::check_forced_token(model_, cpu_); }
    void branchesShareBlocks() { test::check_branch_blocks(model_, cpu_); }

    void rewindErrors() {
        Debugger d(model_, cpu_({}), SessionOptions{});
        QVERIFY(!d.rewind(0).ok());
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        QVERIFY(d.run(3).ok());
        QVERIFY(!d.rewind(4).ok());
        QVERIFY(!d.rewind(-1).ok());
        QVERIFY(!d.force(512).ok());
        QVERIFY(!d.switch_branch(7).ok());
        QVERIFY(!d.branch(0, 9).ok());
        QVERIFY(d.rewind(3).ok());  // the current end: nothing to go back over
        QCOMPARE(int(d.branches().size()), 1);
    }

    void forceText() {
        Debugger d(model_, cpu_({}), SessionOptions{});
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        QVERIFY(d.run(1).ok());  // "," after "Once upon a time"
        auto n = d.force_text(" there lived a dog");
        QVERIFY2(n.ok(), n.ok() ? "" : n.message().c_str());
        QVERIFY(d.step(*n).ok());
        QVERIFY(QString::fromStdString(d.session().generated_text()).endsWith("there lived a dog"));
        QCOMPARE(int(d.branch_info(0).forced.size()), *n);
    }

    void breakpointSpecsRoundTrip() {
        for (const char* spec : {"pos=12", "token=411", "text=ball", "entropy>2.5", "entropy<0.25", "top1<0.3",
                                 "not-argmax", "attn=2,3,1>0.5", "attn=*,*,0>0.9", "sink=1,*<0.05",
                                 "cache-bytes>=40961", "cache-blocks>=3"}) {
            auto b = parse_breakpoint(spec);
            QVERIFY2(b.ok(), spec);
            QCOMPARE(QString::fromStdString(breakpoint_spec(*b)), QString(spec));
        }
        auto kib = parse_breakpoint("cache-bytes>=40KiB");
        QVERIFY(kib.ok());
        QCOMPARE(kib->n, std::int64_t(40960));
        // At most 2^50 bytes, with or without a unit: 1048576 GiB is 2^50 and is written back
        // as a byte count that parses again.
        auto pib = parse_breakpoint("cache-bytes>=1048576GiB");
        QVERIFY(pib.ok());
        QCOMPARE(pib->n, std::int64_t(1) << 50);
        QVERIFY(parse_breakpoint(breakpoint_spec(*pib)).ok());
        // The last two were once taken: a key position beyond an int, wrapped, as position 0; and
        // a byte count bounded before its unit was applied (its spec, written in bytes, was refused).
        for (const char* bad : {"pos=", "pos=-1", "entropy>x", "attn=1,2>0.5", "sink=a,1<0.1", "top1<2", "blah",
                                "attn=1,2,4294967296>0.5", "cache-bytes>=388888888888240KiB"}) {
            auto b = parse_breakpoint(bad);
            QVERIFY2(!b.ok(), bad);
            QVERIFY(QString::fromStdString(b.message()).contains(bad));
        }
    }

    // Position P is chosen by step P - 5 (the prompt is 5 tokens).
    void stopsAtPosition() { QCOMPARE(stop_step("pos=22"), 17); }

    void stopsAtTokenAndText() {
        const auto ids = test::stories_known_ids();
        const int token = ids[30];
        const int first = int(std::find(ids.begin() + kPrompt, ids.end(), token) - ids.begin()) - kPrompt;
        QCOMPARE(stop_step("token=" + std::to_string(token)), first);
        // The step after which the known text first contains "ball".
        int step = -1;
        for (int k = 0; k + kPrompt < int(ids.size()) && step < 0; ++k) {
            const std::vector<int> shown(ids.begin() + kPrompt, ids.begin() + kPrompt + k + 1);
            if (model_->tokenizer->decode(shown).find("ball") != std::string::npos) step = k;
        }
        QVERIFY(step > 0);
        QCOMPARE(stop_step("text=ball"), step);
    }

    void stopsOnDistribution() {
        const Recorded r = record(*cpu_({}), model_, test::stories_known_ids());
        for (bool above : {true, false}) {
            const auto [t, k] = threshold(r.entropy, above, 1e-3);
            QVERIFY(k > 0);
            QCOMPARE(stop_step(std::string(above ? "entropy>" : "entropy<") + std::to_string(t)), k);
        }
        const auto [t1, k1] = threshold(r.top1, false, 1e-3);
        QVERIFY(k1 > 0);
        QCOMPARE(stop_step("top1<" + std::to_string(t1)), k1);
        QCOMPARE(stop_step("not-argmax"), -1);  // greedy always takes the argmax
    }

    // Sampling at temperature 1 (seed 3): the first step whose token is not the argmax of the
    // model's distribution over the sampled sequence, recomputed here.
    void stopsWhenNotArgmax() {
        SessionOptions so;
        so.sampling.temperature = 1.0f;
        so.sampling.seed = 3;
        GenerationSession plain(model_, cpu_({}), so);
        QVERIFY(plain.start(test::kStoriesPrompt).ok());
        QVERIFY(plain.run(56).ok());
        const std::vector<int> ids = plain.tokens();
        const Recorded r = record(*cpu_({}), model_, ids);
        int expected = -1;
        for (std::size_t k = 0; k < r.argmax.size() && expected < 0; ++k)
            if (ids[kPrompt + k] != r.argmax[k]) expected = int(k);
        QVERIFY(expected >= 0);
        QCOMPARE(stop_step("not-argmax", so), expected);
    }

    void stopsOnAttention() {
        const Recorded r = record(*cpu_({}), model_, test::stories_known_ids());
        std::vector<double> to1, sink;  // attention to position 8, and to position 0
        for (const auto& row : r.attention) {
            to1.push_back(row.size() > 8 ? row[8] : -1.0);  // no key 8 yet: cannot hit
            sink.push_back(row[0]);
        }
        const auto [t, k] = threshold(to1, true, 1e-3);
        QVERIFY(k > 0);
        QCOMPARE(stop_step("attn=" + std::to_string(kLayer) + "," + std::to_string(kHead) + ",8>" + std::to_string(t)), k);
        const auto [ts, ks] = threshold(sink, false, 1e-3);
        QVERIFY(ks > 0);
        QCOMPARE(stop_step("sink=" + std::to_string(kLayer) + "," + std::to_string(kHead) + "<" + std::to_string(ts)), ks);
    }

    // Blocks of 16 positions; a block holds 16 x 5 layers x 2 (K, V) x 4 heads x 8 dims x 4
    // bytes = 20480 bytes. After step k the cache holds 5 + k positions: 3 blocks from 33
    // positions (step 28), 2 blocks from 17 (step 12).
    void stopsOnCacheSize() {
        QCOMPARE(stop_step("cache-blocks>=3"), 28);
        QCOMPARE(stop_step("cache-bytes>=40961"), 28);
        QCOMPARE(stop_step("cache-bytes>=40960"), 12);
    }

    void disabledBreakpointsDoNotStopAndRunsContinue() {
        Debugger d(model_, cpu_({}), SessionOptions{});
        const int a = d.add_breakpoint(*parse_breakpoint("pos=10"));
        const int b = d.add_breakpoint(*parse_breakpoint("pos=20"));
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        auto s = d.run(56);
        QVERIFY(s.ok());
        QCOMPARE(s->breakpoint, a);
        QCOMPARE(s->step, 5);
        QVERIFY(d.enable_breakpoint(b, false).ok());
        s = d.run(56);
        QVERIFY(s.ok());
        QCOMPARE(int(s->cause), int(DebugStop::Cause::Limit));
        QCOMPARE(d.session().tokens(), test::stories_known_ids());
        QVERIFY(d.remove_breakpoint(a).ok());
        QVERIFY(!d.remove_breakpoint(a).ok());
    }
};

QTEST_GUILESS_MAIN(TestDebugger)
#include "test_debugger.moc"
