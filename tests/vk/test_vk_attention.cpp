// rope.comp, kv_write.comp, attn_scores.comp, softmax.comp and attn_values.comp against the CPU
// reference math: RoPE in both conventions, GQA groups, causal masks, F32 and F16 caches,
// prefill (several queries) and decode (one query after earlier positions), over a paged cache
// with blocks of 1, 16 and the whole context, handed out in order, reversed and shuffled.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "cpu/cpu_kernels.h"
#include "kv/kv_layout.h"
#include "shader_harness.h"
#include "vk/shader_params.h"

using namespace kvs;
using cpu::RowMatrix;

class TestVkAttention : public QObject {
    Q_OBJECT
    test::ShaderHarness h_;

private slots:
    void initTestCase() {
        const std::string why = h_.init();
        QVERIFY2(why.empty(), why.c_str());
    }
    void cleanup() { KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline); }

    void rope_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<int>("rotary_dim");
        QTest::addColumn<int>("style");
        for (int style : {0, 1})
            for (auto [n, heads, hd, rot] : {std::tuple{1, 1, 2, 2}, {7, 3, 8, 8}, {33, 2, 64, 32}, {5, 4, 100, 100}})
                QTest::addRow("%dx%dx%d rot%d %s", n, heads, hd, rot, style ? "half" : "adjacent")
                    << n << heads << hd << rot << style;
    }
    void rope() {
        QFETCH(int, n);
        QFETCH(int, heads);
        QFETCH(int, head_dim);
        QFETCH(int, rotary_dim);
        QFETCH(int, style);
        const int pos0 = 250, positions = pos0 + n;
        const float theta = 10000.0f;
        const int half = rotary_dim / 2;
        const auto x = test::random_values(std::size_t(n) * heads * head_dim, 11u + n);
        RowMatrix expected = Eigen::Map<const RowMatrix>(x.data(), n, heads * head_dim);
        const RopeStyle rs = style == 0 ? RopeStyle::AdjacentPairs : RopeStyle::HalfRotate;
        cpu::rope(expected, heads, head_dim, rotary_dim, theta, rs, pos0);
        // The table the backend builds, with the same float expressions.
        std::vector<float> table(std::size_t(positions) * half * 2);
        for (int p = 0; p < positions; ++p)
            for (int j = 0; j < half; ++j) {
                const float angle = float(p) * (1.0f / std::pow(theta, float(2 * j) / float(rotary_dim)));
                table[(std::size_t(p) * half + j) * 2] = std::cos(angle);
                table[(std::size_t(p) * half + j) * 2 + 1] = std::sin(angle);
            }
        // Row records (token, position, slot, table): the chunk starts at pass row 3.
        const int row0 = 3;
        std::vector<std::uint32_t> rows(std::size_t(row0 + n) * 4, 0u);
        for (int i = 0; i < n; ++i) rows[std::size_t(row0 + i) * 4 + 1] = std::uint32_t(pos0 + i);
        vk::Buffer tb = h_.buffer(table), xb = h_.buffer(x), rb = h_.buffer_u32(rows);
        const vk::RopeParams p{std::uint32_t(n), std::uint32_t(heads), std::uint32_t(head_dim), std::uint32_t(half),
                               std::uint32_t(style), std::uint32_t(row0)};
        h_.run("rope", {vk::read(tb), vk::write(xb), vk::read(rb)}, p, test::groups_of_64(std::uint64_t(n) * heads * half));
        const auto got = h_.read<float>(xb, x.size());
        QVERIFY(test::max_abs_diff(got.data(), expected.data(), got.size()) <= 1e-6f);
    }

    // One layer's attention: K/V written for slots [pos0, pos0 + n) after `pos0` earlier slots
    // already in the cache, then scores, causal softmax and the weighted values. The cache is a
    // pool of blocks of `block` positions (0: one block of the whole capacity) holding more
    // blocks than the sequence needs, and the sequence's table maps its logical blocks to
    // physical ones in order, reversed or shuffled.
    void attention_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("pos0");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kv_heads");
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<bool>("f16");
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("order");
        const char* orders[] = {"in order", "reversed", "shuffled"};
        for (bool f16 : {false, true})
            for (auto [n, pos0, heads, kvh, hd] :
                 {std::tuple{1, 0, 1, 1, 2}, {7, 0, 4, 2, 8}, {1, 100, 8, 4, 16}, {33, 3, 2, 2, 34}, {5, 252, 6, 1, 64}})
                for (auto [block, order] : {std::pair{0, 0}, {1, 2}, {16, 0}, {16, 1}, {16, 2}})
                    QTest::addRow("n%d pos%d h%d/%d d%d %s b%d %s", n, pos0, heads, kvh, hd, f16 ? "f16" : "f32", block,
                                  orders[order])
                        << n << pos0 << heads << kvh << hd << f16 << block << order;
    }
    void attention() {
        QFETCH(int, n);
        QFETCH(int, pos0);
        QFETCH(int, heads);
        QFETCH(int, kv_heads);
        QFETCH(int, head_dim);
        QFETCH(bool, f16);
        QFETCH(int, block);
        QFETCH(int, order);
        const int capacity = 257, keys = pos0 + n, group = heads / kv_heads, kv_dim = kv_heads * head_dim;
        KvLayout layout;
        layout.n_layers = 1;
        layout.n_kv_heads = kv_heads;
        layout.head_dim = head_dim;
        layout.capacity = capacity;
        layout.block_size = block;
        const int bs = layout.block_positions(), used = layout.blocks_for(capacity);
        layout.n_blocks = used + 3;  // blocks no sequence uses lie between the used ones
        layout.dtype = f16 ? KvDtype::F16 : KvDtype::F32;

        // The table: logical block i -> physical block table[i].
        std::vector<int> phys(std::size_t(layout.n_blocks));
        std::iota(phys.begin(), phys.end(), 0);
        if (order == 1) std::reverse(phys.begin(), phys.end());
        if (order == 2) std::shuffle(phys.begin(), phys.end(), std::mt19937(7u + std::uint32_t(n)));
        phys.resize(std::size_t(used));
        auto at = [&](KvPart part, int h, int slot) {
            return std::size_t(layout.offset(0, part, phys[std::size_t(slot / bs)], h, slot % bs));
        };

        // Earlier positions already cached, the new ones produced by this pass.
        auto old_k = test::random_values(std::size_t(pos0) * kv_dim, 12u), old_v = test::random_values(old_k.size(), 13u);
        auto k = test::random_values(std::size_t(n) * kv_dim, 14u), v = test::random_values(k.size(), 15u);
        const auto q = test::random_values(std::size_t(n) * heads * head_dim, 16u);
        if (f16) {
            old_k = test::round_to_f16(old_k);
            old_v = test::round_to_f16(old_v);
        }
        const std::size_t elem = f16 ? 2 : 4;
        std::vector<float> cache_f32(std::size_t(layout.total_elements()), 0.0f);
        for (int p = 0; p < pos0; ++p)
            for (int h = 0; h < kv_heads; ++h)
                for (int d = 0; d < head_dim; ++d) {
                    cache_f32[at(KvPart::Key, h, p) + d] = old_k[std::size_t(p) * kv_dim + h * head_dim + d];
                    cache_f32[at(KvPart::Value, h, p) + d] = old_v[std::size_t(p) * kv_dim + h * head_dim + d];
                }
        vk::Buffer cache = f16 ? h_.buffer_u32(test::pack_f16(cache_f32)) : h_.buffer(cache_f32);
        const VkDeviceSize part = VkDeviceSize(layout.part_stride()) * elem;
        // V usually starts at an unaligned offset: bound from below with slack, as the backend does.
        const vk::SlackBinding vs = vk::slack_binding(VkDeviceSize(layout.offset(0, KvPart::Value, 0, 0, 0)) * elem, part,
                                                      h_.ctx->limits().storage_offset_align, elem);
        vk::Buffer kb = h_.buffer(k), vb = h_.buffer(v), qb = h_.buffer(q);
        vk::Buffer probs = h_.zeros(std::size_t(heads) * n * capacity * 4), out = h_.zeros(q.size() * 4);
        // Row records (token, position, slot, table start); the table sits after 5 unrelated entries.
        const std::uint32_t table_start = 5;
        std::vector<std::uint32_t> tables(table_start, 9999u), rows;
        for (int b : phys) tables.push_back(std::uint32_t(b));
        for (int i = 0; i < n; ++i) rows.insert(rows.end(), {0u, std::uint32_t(pos0 + i), std::uint32_t(pos0 + i), table_start});
        vk::Buffer rb = h_.buffer_u32(rows), tb = h_.buffer_u32(tables);

        const std::uint32_t hd = std::uint32_t(head_dim), ubs = std::uint32_t(bs);
        const std::uint32_t hs = std::uint32_t(layout.head_stride()), bstr = std::uint32_t(layout.block_stride());
        const vk::KvWriteParams kw{std::uint32_t(n), std::uint32_t(kv_heads), hd, ubs, hs, bstr, 0, 0};
        vk::KvWriteParams vw = kw;
        vw.base = vs.base;
        const std::uint64_t kv_items = std::uint64_t(n) * kv_dim / (f16 ? 2 : 1);
        const char* write_shader = f16 ? "kv_write_f16" : "kv_write_f32";
        h_.run(write_shader, {vk::read(kb), vk::write(cache, 0, part), vk::read(rb), vk::read(tb)}, kw,
               test::groups_of_64(kv_items));
        h_.run(write_shader, {vk::read(vb), vk::write(cache, vs.offset, vs.range), vk::read(rb), vk::read(tb)}, vw,
               test::groups_of_64(kv_items));
        const float scale = 1.0f / std::sqrt(float(head_dim));
        const vk::AttnScoresParams sp{std::uint32_t(n), std::uint32_t(heads), hd, ubs, hs, bstr, 0, std::uint32_t(group),
                                      scale, 0, std::uint32_t(keys), std::uint32_t(capacity)};
        h_.run(f16 ? "attn_scores_f16" : "attn_scores_f32",
               {vk::read(qb), vk::read(cache, 0, part), vk::write(probs), vk::read(rb), vk::read(tb)}, sp,
               test::groups_of_64(std::uint64_t(heads) * n * ((keys + vk::kAttnScoresKeys - 1) / vk::kAttnScoresKeys)));
        const vk::SoftmaxParams smp{std::uint32_t(heads * n), std::uint32_t(n), std::uint32_t(capacity), 0,
                                    std::uint32_t(keys)};
        h_.run("softmax", {vk::write(probs), vk::read(rb)}, smp,
               (std::uint64_t(heads) * n + vk::kSoftmaxRowsPerGroup - 1) / vk::kSoftmaxRowsPerGroup);
        const vk::AttnValuesParams vp{std::uint32_t(n), std::uint32_t(heads), hd, ubs, hs, bstr, 0, std::uint32_t(group),
                                      vs.base, std::uint32_t(capacity)};
        h_.run(f16 ? "attn_values_f16" : "attn_values_f32",
               {vk::read(probs), vk::read(cache, vs.offset, vs.range), vk::write(out), vk::read(rb), vk::read(tb)}, vp,
               test::groups_of_64(std::uint64_t(n) * heads * ((head_dim + vk::kAttnValuesDims - 1) / vk::kAttnValuesDims)));

        // Reference, as CpuBackend::attend_head computes it, over the cache as stored.
        std::vector<float> all_k(std::size_t(keys) * kv_dim), all_v(all_k.size());
        std::copy(old_k.begin(), old_k.end(), all_k.begin());
        std::copy(old_v.begin(), old_v.end(), all_v.begin());
        const auto new_k = f16 ? test::round_to_f16(k) : k, new_v = f16 ? test::round_to_f16(v) : v;
        std::copy(new_k.begin(), new_k.end(), all_k.begin() + std::ptrdiff_t(old_k.size()));
        std::copy(new_v.begin(), new_v.end(), all_v.begin() + std::ptrdiff_t(old_v.size()));
        const auto got_probs = h_.read<float>(probs, std::size_t(heads) * n * capacity);
        const auto got_out = h_.read<float>(out, q.size());
        float worst_p = 0, worst_o = 0;
        for (int h = 0; h < heads; ++h) {
            const int kvh = h / group;
            RowMatrix Q(n, head_dim), K(keys, head_dim), V(keys, head_dim);
            for (int i = 0; i < n; ++i)
                for (int d = 0; d < head_dim; ++d) Q(i, d) = q[std::size_t(i) * heads * head_dim + h * head_dim + d];
            for (int t = 0; t < keys; ++t)
                for (int d = 0; d < head_dim; ++d) {
                    K(t, d) = all_k[std::size_t(t) * kv_dim + kvh * head_dim + d];
                    V(t, d) = all_v[std::size_t(t) * kv_dim + kvh * head_dim + d];
                }
            RowMatrix S = (Q * K.transpose()) * scale;
            for (int i = 0; i < n; ++i) {
                const int visible = pos0 + i + 1;
                cpu::softmax(S.row(i).data(), visible);
                std::fill(S.row(i).data() + visible, S.row(i).data() + keys, 0.0f);
                for (int t = 0; t < keys; ++t)
                    worst_p = std::max(worst_p, std::abs(got_probs[(std::size_t(h) * n + i) * capacity + t] - S(i, t)));
            }
            const RowMatrix O = S * V;
            for (int i = 0; i < n; ++i)
                for (int d = 0; d < head_dim; ++d)
                    worst_o = std::max(worst_o, std::abs(got_out[std::size_t(i) * heads * head_dim + h * head_dim + d] - O(i, d)));
        }
        // Probabilities in [0, 1] and outputs averaging N(0,1) values: F32 rounding only (the
        // F16 case compares against the same rounded cache, so the storage error cancels).
        QVERIFY2(worst_p <= 2e-6f && worst_o <= 1e-5f,
                 qPrintable(QString("max diff probs %1, output %2").arg(worst_p).arg(worst_o)));

        // The cache holds exactly the new K rows at their slots, in the blocks the table names,
        // and the blocks no sequence uses stay untouched (zero).
        if (!f16) {
            const auto stored = h_.read<float>(cache, std::size_t(layout.total_elements()));
            for (int i = 0; i < n; ++i)
                for (int h = 0; h < kv_heads; ++h)
                    QCOMPARE(stored[at(KvPart::Key, h, pos0 + i)], k[std::size_t(i) * kv_dim + h * head_dim]);
            for (int b = 0; b < layout.n_blocks; ++b) {
                if (std::find(phys.begin(), phys.end(), b) != phys.end()) continue;
                for (KvPart part : {KvPart::Key, KvPart::Value})
                    for (int h = 0; h < kv_heads; ++h)
                        for (std::int64_t e = 0; e < layout.block_stride(); ++e)
                            QCOMPARE(stored[std::size_t(layout.offset(0, part, b, h, 0) + e)], 0.0f);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestVkAttention)
#include "test_vk_attention.moc"
