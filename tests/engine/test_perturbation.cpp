// "Why only K and V" on the CPU backend: the perturbation experiments on stories260K (Llama:
// RoPE, RMSNorm, SwiGLU) and makemore (GPT-2: learned positions, LayerNorm, GELU) move exactly
// what support/perturbation_checks.h says they must, and the CLI prints the table.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "perturbation_checks.h"
#include "shared_models.h"
#include "test_paths.h"

using namespace kvs;

class TestPerturbation : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> stories_, makemore_;
    const std::vector<int> story_ids_{std::begin(test::kStoriesGreedyIds), std::begin(test::kStoriesGreedyIds) + 14};
    const std::vector<int> name_ids_{0, 1, 12, 5, 24, 9, 1, 0, 5, 13};

private slots:
    void initTestCase() {
        KVS_LOAD_MODEL(stories_, test::load_stories260k());
        KVS_LOAD_MODEL(makemore_, test::load_makemore());
    }

    void changedTokenMovesOnlyItsPositionAndLater_data() {
        QTest::addColumn<bool>("gpt2");
        QTest::addColumn<int>("position");
        QTest::addColumn<int>("replacement");
        QTest::newRow("stories260K position 6") << false << 6 << 300;
        QTest::newRow("stories260K position 0") << false << 0 << -1;
        QTest::newRow("stories260K last position") << false << 13 << 17;
        QTest::newRow("makemore position 3") << true << 3 << 20;
        QTest::newRow("makemore position 8") << true << 8 << -1;
    }
    void changedTokenMovesOnlyItsPositionAndLater() {
        QFETCH(bool, gpt2);
        QFETCH(int, position);
        QFETCH(int, replacement);
        const auto& model = gpt2 ? makemore_ : stories_;
        const auto& ids = gpt2 ? name_ids_ : story_ids_;
        auto b = test::make_cpu(model);
        const auto r = perturb_token(*b, ids, position, replacement);
        QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
        QCOMPARE(r->original_token, ids[std::size_t(position)]);
        QVERIFY(r->replacement_token != r->original_token);
        test::verify_token_perturbation(*r, model->config.n_layers);
        QCOMPARE(b->cache_length(), 0);
        if (position + 1 < int(ids.size())) {
            QVERIFY(r->first_spread());
            QCOMPARE(r->first_spread()->layer, 0);
            QCOMPARE(r->first_spread()->point, TapPoint::AttentionMix);
        }
    }

    void zeroedFfnReachesLaterKeysTwoLayersDeeper() {
        for (const auto& [model, ids, layer] : {std::tuple{stories_, story_ids_, 1}, std::tuple{makemore_, name_ids_, 0}}) {
            auto b = test::make_cpu(model);
            const auto r = zero_activation(*b, ids, {layer, TapPoint::FfnOutput, 4});
            QVERIFY2(r.ok(), r.ok() ? "" : r.message().c_str());
            test::verify_zeroed_ffn(*r, model->config.n_layers);
        }
    }

    void badRequestsAreErrors() {
        auto b = test::make_cpu(stories_);
        QVERIFY(!perturb_token(*b, story_ids_, 14).ok());
        QVERIFY(!perturb_token(*b, story_ids_, 2, story_ids_[2]).ok());
        QVERIFY(!zero_activation(*b, story_ids_, {9, TapPoint::FfnOutput, 1}).ok());
        QCOMPARE(b->cache_length(), 0);
    }

    // The CLI's table names the first position that moved per layer and op, and its JSON has
    // the per-position differences.
    void cliPrintsTheTable() {
        const auto run = test::run_cli({"perturb", "--model", QString::fromStdString(test::stories260k_bin()), "--tokenizer",
                                        QString::fromStdString(test::stories260k_tokenizer()), "--prompt",
                                        "Once upon a time, there was", "--position", "4"});
        QVERIFY2(run.exit_code == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("k"), qPrintable(run.out));
        QVERIFY(run.out.contains("nothing before position 4 changed"));
        const auto json = test::run_cli({"perturb", "--model", QString::fromStdString(test::stories260k_bin()), "--tokenizer",
                                         QString::fromStdString(test::stories260k_tokenizer()), "--prompt",
                                         "Once upon a time, there was", "--position", "4", "--zero", "1,ffn_output", "--json"});
        QVERIFY2(json.exit_code == 0, qPrintable(json.err));
        const auto j = nlohmann::json::parse(json.out.toStdString());
        QCOMPARE(j["experiment"].get<std::string>(), std::string("zero"));
        QCOMPARE(j["first_spread"]["layer"].get<int>(), 2);
        QCOMPARE(j["first_spread"]["op"].get<std::string>(), std::string("attention"));
    }
};

QTEST_GUILESS_MAIN(TestPerturbation)
#include "test_perturbation.moc"
