// KV memory formula against the published figures, and the kv-calc command line.
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>

#include "cli_runner.h"

#include "core/kv_footprint.h"
#include "model/model_presets.h"

using namespace kvs;

namespace {

KvShape preset_shape(const char* name) {
    auto p = find_model_preset(name);
    if (!p.ok()) return {};
    return {p->config.n_layers, p->config.n_kv_heads, p->config.head_dim()};
}

KvFootprint footprint(const KvShape& s, std::int64_t tokens, const char* dtype, int batch = 1) {
    auto t = find_kv_storage_type(dtype);
    if (!t.ok()) return {};
    auto f = kv_footprint(s, tokens, batch, *t);
    return f.ok() ? *f : KvFootprint{};
}

}  // namespace

class TestKvCalc : public QObject {
    Q_OBJECT

private slots:
    void published_figures() {
        QCOMPARE(footprint(preset_shape("llama-2-7b"), 1, "f16").bytes_per_token, 524288);  // 0.5 MiB
        QCOMPARE(footprint(preset_shape("llama-2-7b"), 4096, "f16").total_bytes, 2147483648LL);
        const KvFootprint l70 = footprint(preset_shape("llama-3-70b"), 4096, "f16");
        QCOMPARE(l70.bytes_per_token, 327680);  // 320 KiB
        QCOMPARE(l70.total_bytes, 1342177280LL);
        KvShape no_gqa = preset_shape("llama-3-70b");
        no_gqa.n_kv_heads = 64;
        const KvFootprint mha = footprint(no_gqa, 4096, "f16");
        QCOMPARE(mha.bytes_per_token, 2621440);
        QCOMPARE(mha.total_bytes, 10737418240LL);  // ~10.7 GB
        QCOMPARE(footprint(preset_shape("opt-13b"), 1, "f16").bytes_per_token, 819200);  // 800 KiB
    }

    void storage_types() {
        const KvShape s{32, 32, 128};
        QCOMPARE(footprint(s, 1, "f32").bytes_per_token, 1048576);
        QCOMPARE(footprint(s, 1, "bf16").bytes_per_token, 524288);
        QCOMPARE(footprint(s, 1, "fp8").bytes_per_token, 262144);
        QCOMPARE(footprint(s, 1, "int4").bytes_per_token, 131072);
        QCOMPARE(footprint(s, 1, "q8_0").bytes_per_token, 2 * 32 * 32 * (128 / 32) * 34);
        // A head row of 40 values needs two q8_0 blocks.
        QCOMPARE(footprint(KvShape{1, 1, 40}, 1, "q8_0").bytes_per_head_row, 68);
        QCOMPARE(footprint(s, 100, "f16", 8).total_bytes, 524288LL * 100 * 8);
        auto bad = find_kv_storage_type("f8");
        QVERIFY(!bad.ok());
        QVERIFY(bad.message().find("q8_0") != std::string::npos);
        auto zero = kv_footprint(KvShape{0, 1, 1}, 1, 1, *find_kv_storage_type("f16"));
        QVERIFY(!zero.ok());
        QVERIFY(zero.message().find("layers") != std::string::npos);
    }

    void formula_and_units() {
        const KvFootprint f = footprint(preset_shape("llama-2-7b"), 4096, "f16");
        QCOMPARE(f.formula, std::string("2 × 32 layers × 32 kv_heads × 128 head_dim × 4,096 tokens × 1 batch × 2 bytes "
                                        "(f16) = 2,147,483,648 bytes"));
        QCOMPARE(format_binary_bytes(2147483648.0), std::string("2.00 GiB"));
        QCOMPARE(format_decimal_bytes(2147483648.0), std::string("2.15 GB"));
        QCOMPARE(format_binary_bytes(327680.0), std::string("320.00 KiB"));
        QCOMPARE(format_decimal_bytes(999.0), std::string("999 B"));
        QCOMPARE(group_thousands(1342177280), std::string("1,342,177,280"));
        QCOMPARE(group_thousands(100), std::string("100"));
    }

    void cli_json() {
        auto r = test::run_cli({"kv-calc", "--preset", "llama-3-70b", "--tokens", "4096", "--dtype", "f16", "--json"});
        QCOMPARE(r.exit_code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j.value("bytes_per_token").toInteger(), 327680);
        QCOMPARE(j.value("total_bytes").toInteger(), 1342177280LL);
        QCOMPARE(j.value("kv_heads").toInt(), 8);

        r = test::run_cli({"kv-calc", "--preset", "llama-3-70b", "--kv-heads", "64", "--tokens", "4096", "--json"});
        QCOMPARE(r.exit_code, 0);
        const QJsonObject mha = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(mha.value("bytes_per_token").toInteger(), 2621440);
        QCOMPARE(mha.value("total_bytes").toInteger(), 10737418240LL);
    }

    void cli_text_and_errors() {
        auto r = test::run_cli({"kv-calc", "--layers", "40", "--kv-heads", "40", "--head-dim", "128", "--tokens", "1"});
        QCOMPARE(r.exit_code, 0);
        QVERIFY2(r.out.contains("819,200 bytes = 800.00 KiB = 819.20 kB"), qPrintable(r.out));
        QVERIFY2(r.out.contains("2 × 40 layers × 40 kv_heads × 128 head_dim × 1 tokens × 1 batch × 2 bytes (f16)"),
                 qPrintable(r.out));

        r = test::run_cli({"kv-calc", "--preset", "llama-9"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("valid presets: gpt2-124m"), qPrintable(r.err));
        r = test::run_cli({"kv-calc", "--preset", "llama-2-7b", "--dtype", "f12"});
        QCOMPARE(r.exit_code, 1);
        QVERIFY2(r.err.contains("unknown KV dtype 'f12'"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestKvCalc)
#include "test_kv_calc.moc"
