// matmul.comp (prefill GEMM, 64x64 blocks) and matvec.comp (decode GEMV, subgroupAdd) against
// Eigen, in F32 and with F16 weights, at shapes that are not multiples of the tile or
// workgroup size, including row chunks bound at an offset (out_col0 > 0).
#include <QtTest>

#include <Eigen/Core>

#include "shader_harness.h"
#include "vk/shader_params.h"

using namespace kvs;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class TestVkMatmul : public QObject {
    Q_OBJECT
    test::ShaderHarness h_;

    // Reference: out = a [m, k] * w^T, w [rows, k].
    static RowMatrix reference(const std::vector<float>& a, const std::vector<float>& w, int m, int rows, int k) {
        Eigen::Map<const RowMatrix> A(a.data(), m, k), W(w.data(), rows, k);
        return A * W.transpose();
    }

    // Runs the weight rows [row0, rows) as a chunk bound at its byte offset, as the backend does.
    void check(int m, int rows, int k, bool f16, int row0, bool force_tiles = false, bool force_gemv = false) {
        const auto a = test::random_values(std::size_t(m) * k, 1000u + m * 7u + k);
        auto w = test::random_values(std::size_t(rows) * k, 2000u + rows + k, 0.5f);
        if (f16) w = test::round_to_f16(w);
        const RowMatrix expected = reference(a, w, m, rows, k);
        vk::Buffer in = h_.buffer(a);
        vk::Buffer weights = f16 ? h_.buffer_u32(test::pack_f16(w)) : h_.buffer(w);
        vk::Buffer out = h_.zeros(std::size_t(m) * rows * 4);
        const std::size_t elem = f16 ? 2 : 4;
        const VkDeviceSize offset = VkDeviceSize(row0) * k * elem;
        QVERIFY2(offset % h_.ctx->limits().storage_offset_align == 0, "test shape gives an unaligned chunk");
        const std::uint32_t chunk_rows = std::uint32_t(rows - row0);
        if ((m <= 8 && !force_tiles) || force_gemv) {
            // More than kMatvecMaxRows inputs: blocks of them in y, as on CPU devices.
            vk::MatvecParams p{chunk_rows, std::uint32_t(k), 0, std::uint32_t(row0),
                               std::uint32_t(m), std::uint32_t(k), std::uint32_t(rows), std::uint32_t(k * elem)};
            h_.run_2d(f16 ? "matvec_f16" : "matvec_f32", {vk::read(in), vk::read(weights, offset), vk::write(out)}, p,
                      (chunk_rows + vk::kMatvecRowsPerGroup - 1) / vk::kMatvecRowsPerGroup,
                      (std::uint32_t(m) + vk::kMatvecMaxRows - 1) / vk::kMatvecMaxRows);
        } else {
            vk::MatmulParams p{std::uint32_t(m), chunk_rows, std::uint32_t(k), std::uint32_t(rows), std::uint32_t(row0),
                               std::uint32_t(k * elem)};
            h_.run_2d(f16 ? "matmul_f16" : "matmul_f32", {vk::read(in), vk::read(weights, offset), vk::write(out)}, p,
                      (chunk_rows + vk::kMatmulBlock - 1) / vk::kMatmulBlock,
                      (std::uint32_t(m) + vk::kMatmulBlock - 1) / vk::kMatmulBlock);
        }
        const auto got = h_.read<float>(out, std::size_t(m) * rows);
        float worst = 0;
        for (int i = 0; i < m; ++i)
            for (int r = row0; r < rows; ++r) worst = std::max(worst, std::abs(got[std::size_t(i) * rows + r] - expected(i, r)));
        // F32 sums of k products of ~N(0,1)*N(0,0.5) values: rounding differs from Eigen's order
        // by a few ulps of the sum's magnitude (~sqrt(k)/2).
        const float tol = 2e-5f * std::sqrt(float(k));
        QVERIFY2(worst <= tol, qPrintable(QString("m=%1 rows=%2 k=%3 f16=%4: max diff %5 > %6")
                                              .arg(m).arg(rows).arg(k).arg(f16).arg(worst).arg(tol)));
        KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline);
    }

private slots:
    void initTestCase() {
        const std::string why = h_.init();
        QVERIFY2(why.empty(), why.c_str());
        QVERIFY(h_.ctx->validation_enabled());
    }

    void matvec_data() {
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("f16");
        for (bool f16 : {false, true})
            for (auto [m, rows, k] : {std::tuple{1, 1, 2}, {1, 7, 34}, {1, 33, 100}, {3, 100, 64}, {1, 257, 258},
                                      {8, 512, 1000}, {5, 33, 7 * 2}, {9, 33, 64}, {16, 70, 100}, {19, 257, 258},
                                      {130, 65, 32}})
                QTest::addRow("%dx%dx%d %s", m, rows, k, f16 ? "f16" : "f32") << m << rows << k << f16;
    }
    void matvec() {
        QFETCH(int, m);
        QFETCH(int, rows);
        QFETCH(int, k);
        QFETCH(bool, f16);
        check(m, rows, k, f16, 0, false, m > 8);
    }

    void matmul_data() {
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("f16");
        for (bool f16 : {false, true})
            for (auto [m, rows, k] : {std::tuple{2, 1, 2}, {7, 7, 34}, {33, 33, 100}, {100, 257, 64}, {17, 100, 258},
                                      {130, 65, 33}})
                QTest::addRow("%dx%dx%d %s", m, rows, k, f16 ? "f16" : "f32") << m << rows << k << f16;
    }
    void matmul() {
        QFETCH(int, m);
        QFETCH(int, rows);
        QFETCH(int, k);
        QFETCH(bool, f16);
        check(m, rows, k, f16, 0, true);
    }

    // A chunk starting at row 64: offset 64 * 64 * 4 (F32) or * 2 (F16) bytes, aligned on any device.
    void chunkAtOffset() {
        check(1, 100, 64, false, 64);
        check(1, 100, 64, true, 64);
        check(5, 100, 64, false, 64);
        check(5, 100, 64, true, 64);
        check(20, 100, 64, false, 64, true);
        check(20, 100, 64, true, 64, true);
        check(20, 100, 64, false, 64, false, true);
        check(20, 100, 64, true, 64, false, true);
    }
};

QTEST_GUILESS_MAIN(TestVkMatmul)
#include "test_vk_matmul.moc"
