// The KV allocation simulator on streams small enough to follow by hand, the workload draws, the
// first-fit arena, and the published picture on the documented workload (docs/KV_SIM.md).
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "kv/contiguous_arena.h"
#include "kv/kv_sim.h"
#include "kv/sim_workload.h"

using namespace kvs;

class TestKvSim : public QObject {
    Q_OBJECT

private slots:
    void arenaIsFirstFitAndMerges() {
        ContiguousArena a(100);
        QCOMPARE(a.allocate(30), 0LL);
        QCOMPARE(a.allocate(30), 30LL);
        QCOMPARE(a.allocate(30), 60LL);
        QCOMPARE(a.allocate(30), -1LL);  // 10 left
        a.release(30);
        QCOMPARE(a.largest_free_run(), 30LL);  // [30, 60) and [90, 100) are apart
        QCOMPARE(a.allocate(20), 30LL);        // the lowest gap that fits
        a.release(0);
        a.release(30);
        QCOMPARE(a.largest_free_run(), 60LL);  // [0, 30) + [30, 60) merged
        QCOMPARE(a.free_slots(), 70LL);
    }

    // Three requests of prompt 10 + output 10 in 100 positions, maximum length 50: two fit
    // (2 x 50), the third waits 10 steps. While it waits, the two hold lengths 10..19:
    //   token states  2 x 14.5 / 100 = 0.29
    //   reserved      2 x (20 - 14.5) / 100 = 0.11
    //   internal      2 x (50 - 20) / 100 = 0.60
    //   external      0
    void maxLengthReservationByHand() {
        const std::vector<SimRequest> reqs(3, SimRequest{10, 10, -1, 0});
        auto r = simulate_kv({100, 50}, reqs, {SimStrategy::Kind::MaxLength});
        QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
        QCOMPARE(r->measured_steps, 10);
        QCOMPARE(r->steps, 20);
        QVERIFY(std::abs(r->token_states - 0.29) < 1e-12);
        QVERIFY(std::abs(r->reserved - 0.11) < 1e-12);
        QVERIFY(std::abs(r->internal - 0.60) < 1e-12);
        QVERIFY(std::abs(r->external) < 1e-12);
        QCOMPARE(r->mean_running, 2.0);
    }

    // Four requests of prompt 8 + output 4 in 24 positions = 6 blocks of 4 (no watermark below
    // 100 blocks). Step 0: three fit with 2 blocks each, all full: token states 24/24. Growing
    // needs a third block each, 3 blocks with none free: the last admitted is preempted. Steps 1-3:
    // two requests of 9, 10, 11 tokens in 3 blocks each: token states 18, 20, 22 of 24, the rest
    // the empty tails of their last blocks. Then they finish and the other two run 4 steps.
    void pagedByHand() {
        const std::vector<SimRequest> reqs(4, SimRequest{8, 4, -1, 0});
        auto r = simulate_kv({24, 12}, reqs, {SimStrategy::Kind::Paged, 4, false});
        QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
        QCOMPARE(r->capacity, 24LL);
        QCOMPARE(r->measured_steps, 4);
        QCOMPARE(r->preemptions, 1);
        QCOMPARE(r->steps, 8);
        QVERIFY(std::abs(r->token_states - 84.0 / 96.0) < 1e-12);
        QVERIFY(std::abs(r->internal - 12.0 / 96.0) < 1e-12);
        QVERIFY(std::abs(r->external) < 1e-12);
        QCOMPARE(r->reserved, 0.0);
        QCOMPARE(r->max_running, 3);
    }

    // Two requests of one group, an 8-token shared prefix in 10-token prompts, blocks of 4: the
    // second reuses the first's two full blocks, 8 of the 20 prompt positions.
    void prefixSharingByHand() {
        const std::vector<SimRequest> reqs(2, SimRequest{10, 2, 0, 8});
        auto r = simulate_kv({400, 16}, reqs, {SimStrategy::Kind::Paged, 4, true});
        QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
        QCOMPARE(r->prompt_tokens, 20LL);
        QCOMPARE(r->reused_tokens, 8LL);
        QCOMPARE(r->prefix_hit_rate(), 0.4);
        QVERIFY(!r->memory_bound);
        auto plain = simulate_kv({400, 16}, reqs, {SimStrategy::Kind::Paged, 4, false});
        QCOMPARE(plain->reused_tokens, 0LL);
    }

    void distributionsParseAndDraw() {
        QVERIFY(!LengthDistribution::parse("gauss:1:2").ok());
        QVERIFY(!LengthDistribution::parse("uniform:5").ok());
        QVERIFY(!LengthDistribution::parse("uniform:9:3").ok());
        QVERIFY(LengthDistribution::parse("fixed:x").message().find("'x' is not a number") != std::string::npos);
        WorkloadSpec w;
        w.requests = 20000;
        w.prompt = *LengthDistribution::parse("lognormal:300:250");
        w.output = *LengthDistribution::parse("uniform:10:20");
        w.max_length = 100000;
        const auto reqs = *make_workload(w);
        double mean = 0, sd = 0;
        int lo = 1 << 30, hi = 0;
        for (const auto& r : reqs) mean += r.prompt_tokens, lo = std::min(lo, r.output_tokens), hi = std::max(hi, r.output_tokens);
        mean /= reqs.size();
        for (const auto& r : reqs) sd += (r.prompt_tokens - mean) * (r.prompt_tokens - mean);
        sd = std::sqrt(sd / reqs.size());
        QVERIFY2(std::abs(mean - 300) < 10 && std::abs(sd - 250) < 25, qPrintable(QString("%1 %2").arg(mean).arg(sd)));
        QCOMPARE(lo, 10);
        QCOMPARE(hi, 20);
        // A shared prefix comes first; lengths are cut to the maximum length.
        w.requests = 6;
        w.shared_prefix_tokens = 40;
        w.prefix_groups = 3;
        w.max_length = 50;
        const auto cut = make_workload(w);
        QVERIFY(cut.ok());
        for (const auto& r : *cut) {
            QVERIFY(r.prompt_tokens + r.output_tokens <= 50);
            QVERIFY(r.prefix_group >= 0 && r.prefix_group < 3);
        }
    }

    void csvWorkload() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.csv").toStdString();
        std::ofstream(path) << "output_tokens, prompt_tokens,prefix_group,prefix_tokens\n5,10,0,4\n\n7, 300, -1, 0\n";
        auto w = read_workload_csv(path, 100);
        QVERIFY2(w.ok(), w.ok() ? "" : w.message().c_str());
        QCOMPARE(w->size(), std::size_t(2));
        QCOMPARE((*w)[0].prompt_tokens, 10);
        QCOMPARE((*w)[0].prefix_tokens, 4);
        QCOMPARE((*w)[1].prompt_tokens, 99);  // cut to the maximum length
        QCOMPARE((*w)[1].output_tokens, 1);
        std::ofstream(path) << "prompt_tokens,output_tokens\n5,x\n";
        QVERIFY(read_workload_csv(path, 100).message().find("row 2") != std::string::npos);
        std::ofstream(path) << "prompt,output\n5,5\n";
        QVERIFY(read_workload_csv(path, 100).message().find("prompt_tokens") != std::string::npos);
    }

    // The documented workload (docs/KV_SIM.md, kv-sim's defaults): OPT-13B, 16 GiB of KV memory
    // (20,971 positions of 800 KiB), prompts of 256 and outputs of 512 tokens on average, maximum
    // length 2048. Max-length reservation keeps 20-40% of the memory for token states; paged
    // blocks of 16 waste under 4%.
    void publishedPicture() {
        WorkloadSpec w;
        w.prompt = *LengthDistribution::parse("lognormal:256:200");
        w.output = *LengthDistribution::parse("lognormal:512:400");
        w.max_length = 2048;
        const auto drawn = make_workload(w);
        QVERIFY(drawn.ok());
        const auto& reqs = *drawn;
        const SimConfig cfg{20971, 2048};
        auto max_len = simulate_kv(cfg, reqs, {SimStrategy::Kind::MaxLength});
        auto paged = simulate_kv(cfg, reqs, {SimStrategy::Kind::Paged, 16, false});
        QVERIFY(max_len.ok() && paged.ok());
        qInfo("max-length: tokens %.3f; paged 16: tokens %.3f, waste %.3f", max_len->token_states, paged->token_states,
              paged->waste());
        QVERIFY(max_len->memory_bound && paged->memory_bound);
        QVERIFY(max_len->token_states >= 0.20 && max_len->token_states <= 0.40);
        QVERIFY(paged->waste() < 0.04);
        QVERIFY(std::abs(paged->token_states + paged->waste() - 1.0) < 1e-9);
        QVERIFY(paged->mean_running > 2 * max_len->mean_running);
    }

    // The command line: a preset's real shape, every strategy, JSON shares that add up to 1.
    void commandLine() {
        auto r = test::run_cli({"kv-sim", "--preset", "llama-3-70b", "--memory", "40GiB", "--requests", "300",
                                "--shared-prefix", "512", "--prefix-groups", "4", "--json"});
        QCOMPARE(r.exit_code, 0);
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j.at("bytes_per_token").get<long long>(), 327680LL);  // 2 x 80 x 8 x 128 x 2 bytes = 320 KiB
        QCOMPARE(j.at("memory_positions").get<long long>(), 131072LL);  // 40 GiB / 320 KiB
        QCOMPARE(j.at("strategies").size(), std::size_t(3 + 4 + 1));
        for (const auto& s : j.at("strategies")) {
            const double sum = s.at("token_states").get<double>() + s.at("reserved").get<double>() +
                               s.at("internal_waste").get<double>() + s.at("external_waste").get<double>();
            QVERIFY(std::abs(sum - 1.0) < 1e-9);
        }
        QVERIFY(j.at("strategies").back().at("prefix_hit_rate").get<double>() > 0.3);
        r = test::run_cli({"kv-sim", "--preset", "llama-2-7b", "--memory", "1GiB"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("fewer than the maximum length"), qPrintable(r.err));
        r = test::run_cli({"kv-sim", "--layers", "2"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("--preset"), qPrintable(r.err));
    }

    void impossibleConfigurationsAreErrors() {
        const std::vector<SimRequest> reqs(1, SimRequest{10, 10, -1, 0});
        QVERIFY(simulate_kv({30, 50}, reqs, {SimStrategy::Kind::MaxLength}).message().find("fewer than the maximum") !=
                std::string::npos);
        QVERIFY(!simulate_kv({100, 15}, reqs, {SimStrategy::Kind::Exact}).ok());  // request longer than the maximum
        QVERIFY(!simulate_kv({100, 50}, reqs, {SimStrategy::Kind::Paged, 0, false}).ok());
    }
};

QTEST_GUILESS_MAIN(TestKvSim)
#include "test_kv_sim.moc"
