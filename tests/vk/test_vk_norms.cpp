// rms_norm.comp and layer_norm.comp against cpu::rms_norm / cpu::layer_norm at row widths that
// are not multiples of the 64-wide workgroup.
#include <QtTest>

#include "cpu/cpu_kernels.h"
#include "shader_harness.h"
#include "vk/shader_params.h"

using namespace kvs;

class TestVkNorms : public QObject {
    Q_OBJECT
    test::ShaderHarness h_;

    void check(int n, int dim, bool layer_norm) {
        // Offset and scaled rows, so mean removal and the 1/rms scale both matter.
        auto x = test::random_values(std::size_t(n) * dim, 10u + n + dim, 3.0f);
        for (float& v : x) v += 0.5f;
        const auto w = test::random_values(std::size_t(dim), 20u + dim);
        const auto b = test::random_values(std::size_t(dim), 30u + dim);
        const float eps = 1e-5f;
        cpu::RowMatrix X = Eigen::Map<const cpu::RowMatrix>(x.data(), n, dim), expected;
        if (layer_norm)
            cpu::layer_norm(X, cpu::ConstRowVectorMap(w.data(), dim), cpu::ConstRowVectorMap(b.data(), dim), eps, expected);
        else
            cpu::rms_norm(X, cpu::ConstRowVectorMap(w.data(), dim), eps, expected);

        vk::Buffer xb = h_.buffer(x), wb = h_.buffer(w), bb = h_.buffer(b), out = h_.zeros(x.size() * 4);
        const vk::NormParams p{std::uint32_t(n), std::uint32_t(dim), eps};
        if (layer_norm)
            h_.run("layer_norm", {vk::read(xb), vk::read(wb), vk::read(bb), vk::write(out)}, p, std::uint64_t(n));
        else
            h_.run("rms_norm", {vk::read(xb), vk::read(wb), vk::write(out)}, p, std::uint64_t(n));
        const auto got = h_.read<float>(out, x.size());
        const float worst = test::max_abs_diff(got.data(), expected.data(), got.size());
        // Outputs are ~N(0, |w|) after normalisation; F32 reductions in another order differ by ulps.
        QVERIFY2(worst <= 2e-5f, qPrintable(QString("n=%1 dim=%2: max diff %3").arg(n).arg(dim).arg(worst)));
        KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline);
    }

private slots:
    void initTestCase() {
        const std::string why = h_.init();
        QVERIFY2(why.empty(), why.c_str());
    }
    void norms_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("dim");
        for (auto [n, dim] : {std::pair{1, 1}, {1, 7}, {7, 33}, {33, 100}, {3, 257}, {2, 4096}})
            QTest::addRow("%dx%d", n, dim) << n << dim;
    }
    void norms() {
        QFETCH(int, n);
        QFETCH(int, dim);
        check(n, dim, false);
        check(n, dim, true);
    }
};

QTEST_GUILESS_MAIN(TestVkNorms)
#include "test_vk_norms.moc"
