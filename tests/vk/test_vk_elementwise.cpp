// The small shaders against Eigen/CPU references: bias_add, gelu, swiglu, add, embed (F32 and
// F16 tables, learned positions, a table bound in row chunks) and argmax.
#include <QtTest>

#include "cpu/cpu_kernels.h"
#include "shader_harness.h"
#include "vk/shader_params.h"

using namespace kvs;

class TestVkElementwise : public QObject {
    Q_OBJECT
    test::ShaderHarness h_;

private slots:
    void initTestCase() {
        const std::string why = h_.init();
        QVERIFY2(why.empty(), why.c_str());
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline); }

    void sizes_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("cols");
        for (auto [n, cols] : {std::pair{1, 1}, {1, 7}, {3, 33}, {7, 100}, {2, 257}})
            QTest::addRow("%dx%d", n, cols) << n << cols;
    }

    void biasAdd_data() { sizes_data(); }
    void biasAdd() {
        QFETCH(int, n);
        QFETCH(int, cols);
        const auto y = test::random_values(std::size_t(n) * cols, 1u + cols), b = test::random_values(std::size_t(cols), 2u);
        vk::Buffer yb = h_.buffer(y), bb = h_.buffer(b);
        h_.run("bias_add", {vk::read(bb), vk::write(yb)}, vk::BiasAddParams{std::uint32_t(n), std::uint32_t(cols)},
               test::groups_of_64(y.size()));
        const auto got = h_.read<float>(yb, y.size());
        for (int i = 0; i < n; ++i)
            for (int c = 0; c < cols; ++c) QCOMPARE(got[std::size_t(i) * cols + c], y[std::size_t(i) * cols + c] + b[std::size_t(c)]);
    }

    void gelu_data() { sizes_data(); }
    void gelu() {
        QFETCH(int, n);
        QFETCH(int, cols);
        auto x = test::random_values(std::size_t(n) * cols, 3u + cols, 4.0f);
        x[0] = 30.0f;  // saturated tanh
        if (x.size() > 1) x[1] = -30.0f;
        cpu::RowMatrix expected = Eigen::Map<const cpu::RowMatrix>(x.data(), n, cols);
        cpu::gelu_tanh(expected);
        vk::Buffer xb = h_.buffer(x);
        h_.run("gelu", {vk::write(xb)}, vk::CountParams{std::uint32_t(x.size())}, test::groups_of_64(x.size()));
        const auto got = h_.read<float>(xb, x.size());
        // Device tanh is accurate to a few ulps; outputs are O(|x|) <= ~30.
        QVERIFY(test::max_abs_diff(got.data(), expected.data(), got.size()) <= 1e-5f);
    }

    void swiglu_data() { sizes_data(); }
    void swiglu() {
        QFETCH(int, n);
        QFETCH(int, cols);
        const auto g = test::random_values(std::size_t(n) * cols, 4u + cols, 3.0f), u = test::random_values(g.size(), 5u);
        cpu::RowMatrix expected = Eigen::Map<const cpu::RowMatrix>(g.data(), n, cols);
        cpu::swiglu(expected, Eigen::Map<const cpu::RowMatrix>(u.data(), n, cols));
        vk::Buffer gb = h_.buffer(g), ub = h_.buffer(u);
        h_.run("swiglu", {vk::write(gb), vk::read(ub)}, vk::CountParams{std::uint32_t(g.size())}, test::groups_of_64(g.size()));
        const auto got = h_.read<float>(gb, g.size());
        QVERIFY(test::max_abs_diff(got.data(), expected.data(), got.size()) <= 1e-5f);
    }

    void add_data() { sizes_data(); }
    void add() {
        QFETCH(int, n);
        QFETCH(int, cols);
        const auto x = test::random_values(std::size_t(n) * cols, 6u + cols), y = test::random_values(x.size(), 7u);
        vk::Buffer xb = h_.buffer(x), yb = h_.buffer(y);
        h_.run("add", {vk::write(xb), vk::read(yb)}, vk::CountParams{std::uint32_t(x.size())}, test::groups_of_64(x.size()));
        const auto got = h_.read<float>(xb, x.size());
        for (std::size_t i = 0; i < x.size(); ++i) QCOMPARE(got[i], x[i] + y[i]);
    }

    // Embedding rows of a [vocab, dim] table bound as two row chunks (as a table above
    // maxStorageBufferRange is), plus learned positions: each row record names its token and
    // position, and the chunk starts at pass row 2.
    void embed_data() {
        QTest::addColumn<bool>("f16");
        QTest::addColumn<bool>("positions");
        QTest::addRow("f32") << false << false;
        QTest::addRow("f32+positions") << false << true;
        QTest::addRow("f16") << true << false;
        QTest::addRow("f16+positions") << true << true;
    }
    void embed() {
        QFETCH(bool, f16);
        QFETCH(bool, positions);
        const int vocab = 100, dim = 66, max_seq = 40;
        const std::vector<std::uint32_t> tokens = {0, 99, 63, 64, 7, 7, 33};
        const std::vector<std::uint32_t> where = {0, 1, 5, 6, 39, 7, 8};  // positions: not consecutive
        const int first_row = 2, n = 5;  // uses rows 2..6
        std::vector<std::uint32_t> rows;
        for (std::size_t i = 0; i < tokens.size(); ++i) rows.insert(rows.end(), {tokens[i], where[i], 0u, 0u});
        auto table = test::random_values(std::size_t(vocab) * dim, 8u);
        if (f16) table = test::round_to_f16(table);
        const auto pos = test::random_values(std::size_t(max_seq) * dim, 9u);
        vk::Buffer tb = f16 ? h_.buffer_u32(test::pack_f16(table)) : h_.buffer(table);
        vk::Buffer rb = h_.buffer_u32(rows), pb = h_.buffer(pos), out = h_.zeros(std::size_t(n) * dim * 4);
        const int split = 64;  // rows [0, 64) and [64, 100); 64 * 66 * 2 bytes is 256-aligned
        const std::size_t elem = f16 ? 2 : 4;
        for (auto [row0, count] : {std::pair{0, split}, {split, vocab - split}}) {
            const vk::EmbedParams p{std::uint32_t(n), std::uint32_t(dim), std::uint32_t(row0), std::uint32_t(count),
                                    positions ? 1u : 0u, std::uint32_t(first_row), std::uint32_t(dim * elem)};
            h_.run(f16 ? "embed_f16" : "embed_f32",
                   {vk::read(rb), vk::read(tb, VkDeviceSize(row0) * dim * elem, VkDeviceSize(count) * dim * elem),
                    vk::read(pb), vk::write(out)},
                   p, test::groups_of_64(std::uint64_t(n) * dim));
        }
        const auto got = h_.read<float>(out, std::size_t(n) * dim);
        for (int i = 0; i < n; ++i)
            for (int c = 0; c < dim; ++c) {
                float want = table[std::size_t(tokens[std::size_t(first_row + i)]) * dim + c];
                if (positions) want += pos[std::size_t(where[std::size_t(first_row + i)]) * dim + c];
                QCOMPARE(got[std::size_t(i) * dim + c], want);
            }
    }

    void argmax_data() {
        QTest::addColumn<int>("count");
        for (int n : {1, 7, 33, 100, 257, 32000}) QTest::addRow("%d", n) << n;
    }
    void argmax() {
        QFETCH(int, count);
        const int offset = 3;
        auto x = test::random_values(std::size_t(count + offset), 10u + count);
        x[0] = 1e9f;  // before the offset: must be ignored
        if (count > 4) x[std::size_t(offset + count - 1)] = x[std::size_t(offset + 2)] = 50.0f;  // tie: lowest index wins
        vk::Buffer xb = h_.buffer(x), rb = h_.zeros(16);
        h_.run("argmax", {vk::read(xb), vk::write(rb)}, vk::ArgmaxParams{std::uint32_t(count), std::uint32_t(offset)}, 1);
        const auto got = h_.read<std::uint32_t>(rb, 1);
        const auto expected = std::max_element(x.begin() + offset, x.end()) - (x.begin() + offset);
        QCOMPARE(int(got[0]), int(expected));
    }
};

QTEST_GUILESS_MAIN(TestVkElementwise)
#include "test_vk_elementwise.moc"
