// Weights read in their stored type inside the shaders (shaders/block_layout.glsl and
// shaders/blocks/): ggml's reference quantization of every type (../shared/models/ggml-quants)
// decodes in the shaders bit for bit to ggml's own `.dequant` tensors, through both reads the
// shaders make (whole units of 8 values as matvec.comp does, single values as matmul.comp and
// embed.comp do); blocks written by hand from ggml's block definitions (tests/support/
// quant_blocks.h) decode to the values worked out by hand; and the products matvec.comp and
// matmul.comp form with the blocks match the decoded matrix times the inputs within 1e-5 of
// the size of the terms, including row chunks bound at an offset as the backend binds them.
#include <QtTest>

#include <cmath>
#include <cstring>

#include "model/dequantize.h"
#include "model/gguf_reader.h"
#include "quant_blocks.h"
#include "shader_harness.h"
#include "test_paths.h"
#include "vk/shader_params.h"
#include "vk/vk_weights.h"

using namespace kvs;

namespace {

// Error allowed, as in the CPU test (tests/engine/test_quant_matvec.cpp): 1e-5 of the sum of
// |w_i x_i|. Both sides add the same F32 products in different orders; each reordering moves
// the result by a few F32 roundings of the terms' magnitude, about 1e-7 of it per step.
constexpr double kRelative = 1e-5;

// A weight matrix as stored: `bytes` in `type`, and its values decoded by a reference.
struct Matrix {
    std::string label;
    WeightType type;
    int rows = 0, cols = 0;
    std::vector<std::uint8_t> bytes;
    std::vector<float> decoded;  // [rows, cols]
};

// Bitwise equality of two floats (0.0 and -0.0 differ, NaNs compare by pattern).
bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

}  // namespace

class TestVkQuantBlocks : public QObject {
    Q_OBJECT
    test::ShaderHarness h_;

    vk::Buffer weights(const Matrix& m) {
        std::vector<std::uint8_t> padded = m.bytes;
        padded.resize((padded.size() + 3) / 4 * 4, 0);  // shaders read whole words
        return h_.buffer(padded.data(), padded.size());
    }

    // The matrix decoded by dequantize.comp: by units (the matvec read) or value by value.
    std::vector<float> device_decoded(const Matrix& m, bool by_unit) {
        vk::Buffer w = weights(m);
        const std::size_t n = std::size_t(m.rows) * std::size_t(m.cols);
        vk::Buffer out = h_.zeros(n * 4);
        const vk::DequantizeParams p{std::uint32_t(m.rows), std::uint32_t(m.cols), std::uint32_t(row_bytes(m.type, m.cols)),
                                     by_unit ? 1u : 0u};
        h_.run(vk::weight_shader("dequantize", m.type), {vk::read(w), vk::write(out)}, p,
               test::groups_of_64(by_unit ? n / 8 : n));
        return h_.read<float>(out, n);
    }

    void check_decoding(const Matrix& m) {
        for (const bool by_unit : {true, false}) {
            if (by_unit && m.type == WeightType::F16) continue;  // F16 has no units (matvec reads packed halves)
            const std::vector<float> got = device_decoded(m, by_unit);
            int mismatches = 0, first = -1;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (!same_bits(got[i], m.decoded[i]) && mismatches++ == 0) first = int(i);
            QVERIFY2(mismatches == 0,
                     qPrintable(QString("%1 (%2): %3 values differ, first at %4: %5, expected %6")
                                    .arg(QString::fromStdString(m.label), by_unit ? "by unit" : "by value")
                                    .arg(mismatches).arg(first).arg(first >= 0 ? got[std::size_t(first)] : 0.0f)
                                    .arg(first >= 0 ? m.decoded[std::size_t(first)] : 0.0f)));
        }
        KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline);
    }

    // out[n, rows] = x[n, cols] * w^T through matvec.comp (gemv) or matmul.comp (tiles), one
    // dispatch per row chunk as planned for bindings of at most max_range bytes.
    std::vector<float> device_product(const Matrix& m, const std::vector<float>& x, int n, bool gemv,
                                      VkDeviceSize max_range) {
        vk::Buffer w = weights(m), in = h_.buffer(x);
        vk::Buffer out = h_.zeros(std::size_t(n) * std::size_t(m.rows) * 4);
        const std::int64_t stride = row_bytes(m.type, m.cols);
        const auto chunks = vk::plan_row_chunks(m.rows, stride, max_range, h_.ctx->limits().storage_offset_align);
        for (const vk::RowChunk& rc : chunks) {
            if (rc.offset % h_.ctx->limits().storage_offset_align != 0) return {};  // no aligned split of so few rows
            const auto bound = vk::read(w, rc.offset, rc.range);
            if (gemv) {
                const vk::MatvecParams p{rc.rows, std::uint32_t(m.cols), 0, rc.row0, std::uint32_t(n),
                                         std::uint32_t(m.cols), std::uint32_t(m.rows), std::uint32_t(stride)};
                h_.run_2d(vk::weight_shader("matvec", m.type), {vk::read(in), bound, vk::write(out)}, p,
                          (rc.rows + vk::kMatvecRowsPerGroup - 1) / vk::kMatvecRowsPerGroup,
                          (std::uint32_t(n) + vk::kMatvecMaxRows - 1) / vk::kMatvecMaxRows);
            } else {
                const vk::MatmulParams p{std::uint32_t(n), rc.rows, std::uint32_t(m.cols), std::uint32_t(m.rows), rc.row0,
                                         std::uint32_t(stride)};
                h_.run_2d(vk::weight_shader("matmul", m.type), {vk::read(in), bound, vk::write(out)}, p,
                          (rc.rows + vk::kMatmulBlock - 1) / vk::kMatmulBlock,
                          (std::uint32_t(n) + vk::kMatmulBlock - 1) / vk::kMatmulBlock);
            }
        }
        return h_.read<float>(out, std::size_t(n) * std::size_t(m.rows));
    }

    // Worst |got - reference| / (sum |w x|) over every output, the reference in double from
    // the decoded values; for one input row (decode), a block of 3 (matvec's batched path), and
    // 9 through the GEMM tiles; with the rows bound whole and in chunks of about a third.
    void check_products(const Matrix& m) {
        const std::int64_t stride = row_bytes(m.type, m.cols);
        double largest = 0.0;
        for (const auto& [n, gemv] : {std::pair{1, true}, {3, true}, {9, false}})
            for (const VkDeviceSize max_range : {h_.ctx->limits().max_storage_range, VkDeviceSize(stride * (m.rows / 3 + 1))}) {
                const std::vector<float> x = test::random_values(std::size_t(n) * std::size_t(m.cols), 17u + std::uint32_t(n));
                const std::vector<float> got = device_product(m, x, n, gemv, max_range);
                if (got.empty()) continue;
                double worst = 0.0;
                for (int i = 0; i < n; ++i)
                    for (int r = 0; r < m.rows; ++r) {
                        double ref = 0.0, size = 0.0;
                        for (int j = 0; j < m.cols; ++j) {
                            const double t = double(m.decoded[std::size_t(r) * std::size_t(m.cols) + std::size_t(j)]) *
                                             double(x[std::size_t(i) * std::size_t(m.cols) + std::size_t(j)]);
                            ref += t;
                            size += std::fabs(t);
                        }
                        const double e = std::fabs(double(got[std::size_t(i) * std::size_t(m.rows) + std::size_t(r)]) - ref);
                        worst = std::max(worst, size > 0.0 ? e / size : e);
                    }
                largest = std::max(largest, worst);
                QVERIFY2(worst <= kRelative,
                         qPrintable(QString("%1, %2 inputs (%3), bindings of %4 bytes: relative error %5")
                                        .arg(QString::fromStdString(m.label)).arg(n).arg(gemv ? "matvec" : "matmul")
                                        .arg(qulonglong(max_range)).arg(worst)));
            }
        KVS_VERIFY_NO_VALIDATION_MESSAGES(h_.validation_baseline);
        qInfo("%s: largest relative error %.2g", m.label.c_str(), largest);
    }

private slots:
    void initTestCase() {
        const std::string why = h_.init();
        if (!why.empty()) QSKIP(qPrintable(QString::fromStdString("no Vulkan device: " + why)));
        QVERIFY(h_.ctx->validation_enabled());
    }

    // ggml's reference quantization of every type (64 rows of 512): decoded in the shaders, bit
    // for bit ggml's own dequantization, and the products with it.
    void referenceTensors() {
        auto f = GgufFile::open(test::shared_path("models/ggml-quants/ggml-quant-reference.gguf"));
        QVERIFY2(f.ok(), f.ok() ? "" : f.message().c_str());
        for (const char* name : {"f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K"}) {
            const GgufTensorInfo* q = f->find_tensor(name);
            const GgufTensorInfo* want = f->find_tensor(std::string(name) + ".dequant");
            QVERIFY2(q && want, name);
            QCOMPARE(q->dims.size(), std::size_t(2));
            Matrix m{name, *weight_type_from_ggml(q->type_id), int(q->dims[1]), int(q->dims[0]), {}, {}};
            const auto data = f->tensor_data(*q);
            m.bytes.assign(data.begin(), data.end());
            m.decoded.resize(std::size_t(m.rows) * std::size_t(m.cols));
            std::memcpy(m.decoded.data(), f->tensor_data(*want).data(), m.decoded.size() * 4);  // ggml's dequantization
            check_decoding(m);
            check_products(m);
            if (QTest::currentTestFailed()) return;
        }
    }

    // Each hand-built block decodes to the values worked out by hand. Then, as in the CPU test,
    // 3 rows of 3 blocks, each the block with its quants shifted (byte k of the data part + 37
    // row + 11 block + k) so rows differ: rows of odd block sizes start off word boundaries.
    void handBuiltBlocks() {
        for (const test::HandBlock& hb : test::hand_blocks()) {
            const WeightTypeInfo& info = weight_type_info(hb.type);
            const int values = is_quantized(hb.type) ? info.block_values : int(hb.bytes.size()) / info.block_bytes;
            if (hb.type == WeightType::BF16 && values % 8 != 0) {
                // The device keeps BF16 rows of whole units of 8 values: pad the hand values.
                Matrix one{"hand-built BF16", hb.type, 1, 8, hb.bytes, {}};
                one.bytes.resize(16, 0);
                one.decoded.resize(8);
                dequantize(hb.type, one.bytes.data(), 8, one.decoded.data());
                const std::vector<float> got = device_decoded(one, false);
                for (const auto& [index, value] : hb.expected) QCOMPARE(got[std::size_t(index)], value);
                check_decoding(one);
                continue;
            }
            Matrix one{std::string("hand-built ") + info.name, hb.type, 1, values, hb.bytes, {}};
            one.decoded.resize(std::size_t(values));
            dequantize(hb.type, one.bytes.data(), values, one.decoded.data());
            for (const bool by_unit : {true, false}) {
                if (by_unit && hb.type == WeightType::F16) continue;
                const std::vector<float> got = device_decoded(one, by_unit);
                for (const auto& [index, value] : hb.expected)
                    QVERIFY2(got[std::size_t(index)] == value,
                             qPrintable(QString("%1 value %2 (%3): %4, expected %5")
                                            .arg(info.name).arg(index).arg(by_unit ? "by unit" : "by value")
                                            .arg(got[std::size_t(index)]).arg(value)));
            }
            check_decoding(one);
            if (!is_quantized(hb.type)) continue;  // F16/BF16 hand values include infinity

            constexpr int kRows = 3, kBlocks = 3;
            Matrix m{one.label, hb.type, kRows, kBlocks * info.block_values, {}, {}};
            for (int r = 0; r < kRows; ++r)
                for (int b = 0; b < kBlocks; ++b) {
                    std::vector<std::uint8_t> block = hb.bytes;
                    const std::size_t lo = hb.type == WeightType::Q2_K ? 16 : 4, hi = block.size() - 4;
                    for (std::size_t k = lo; k < hi; ++k) block[k] = std::uint8_t(block[k] + 37 * r + 11 * b + k);
                    m.bytes.insert(m.bytes.end(), block.begin(), block.end());
                }
            m.decoded.resize(std::size_t(m.rows) * std::size_t(m.cols));
            dequantize(m.type, m.bytes.data(), std::int64_t(m.decoded.size()), m.decoded.data());
            check_decoding(m);
            check_products(m);
            if (QTest::currentTestFailed()) return;
        }
    }
};

QTEST_GUILESS_MAIN(TestVkQuantBlocks)
#include "test_vk_quant_blocks.moc"
