// Dequantization of every weight type: bit for bit equal to what ggml's own dequantizer made of
// ggml's reference quantization (../shared/models/ggml-quants), and equal to values worked out
// by hand for blocks written byte by byte (tests/support/quant_blocks.h).
#include <QtTest>

#include <cstring>

#include "model/dequantize.h"
#include "model/gguf_reader.h"
#include "model/quantize.h"
#include "quant_blocks.h"
#include "test_paths.h"

using namespace kvs;

namespace {

struct ReferenceCase {
    const char* tensor;
    WeightType type;
};
const ReferenceCase kReference[] = {
    {"f16", WeightType::F16},   {"bf16", WeightType::BF16}, {"q8_0", WeightType::Q8_0}, {"q4_0", WeightType::Q4_0},
    {"q4_1", WeightType::Q4_1}, {"q5_0", WeightType::Q5_0}, {"q5_1", WeightType::Q5_1}, {"q2_K", WeightType::Q2_K},
    {"q3_K", WeightType::Q3_K}, {"q4_K", WeightType::Q4_K}, {"q5_K", WeightType::Q5_K}, {"q6_K", WeightType::Q6_K},
};

std::string reference_path() { return test::shared_path("models/ggml-quants/ggml-quant-reference.gguf"); }

}  // namespace

class TestQuantTypes : public QObject {
    Q_OBJECT

private slots:
    void blockSizesAreGgmls() {
        // ggml-common.h: sizeof(block_q4_K) == 2 * 2 + 12 + 128, and so on.
        QCOMPARE(weight_type_info(WeightType::Q4_0).block_bytes, 2 + 16);
        QCOMPARE(weight_type_info(WeightType::Q5_1).block_bytes, 2 * 2 + 4 + 16);
        QCOMPARE(weight_type_info(WeightType::Q2_K).block_bytes, 16 + 64 + 2 * 2);
        QCOMPARE(weight_type_info(WeightType::Q3_K).block_bytes, 32 + 64 + 12 + 2);
        QCOMPARE(weight_type_info(WeightType::Q4_K).block_bytes, 2 * 2 + 12 + 128);
        QCOMPARE(weight_type_info(WeightType::Q5_K).block_bytes, 2 * 2 + 12 + 32 + 128);
        QCOMPARE(weight_type_info(WeightType::Q6_K).block_bytes, 128 + 64 + 16 + 2);
        QCOMPARE(row_bytes(WeightType::Q4_K, 512), std::int64_t(288));
        QCOMPARE(bytes_per_value(WeightType::Q4_0), 0.5625);
        QVERIFY(!fits_rows(WeightType::Q6_K, 576));  // SmolLM2's width is not a multiple of 256
        QCOMPARE(int(*weight_type_from_name("q4_k")), int(WeightType::Q4_K));
        QCOMPARE(int(*weight_type_from_ggml(30)), int(WeightType::BF16));
        QVERIFY(!weight_type_from_ggml(16));  // IQ2_XXS is not computed with
    }

    void referenceTensorsDequantizeBitForBit() {
        auto f = GgufFile::open(reference_path());
        QVERIFY2(f.ok(), f.ok() ? "" : f.message().c_str());
        for (const ReferenceCase& c : kReference) {
            const GgufTensorInfo* q = f->find_tensor(c.tensor);
            const GgufTensorInfo* want = f->find_tensor(std::string(c.tensor) + ".dequant");
            QVERIFY2(q && want, c.tensor);
            QCOMPARE(q->type_id, weight_type_info(c.type).ggml_id);
            QCOMPARE(q->element_count, std::int64_t(64 * 512));
            std::vector<float> got(std::size_t(q->element_count));
            dequantize(c.type, f->tensor_data(*q).data(), q->element_count, got.data());
            const auto expected = f->tensor_data(*want);
            int mismatches = 0, first = -1;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (std::memcmp(&got[i], expected.data() + 4 * i, 4) != 0 && mismatches++ == 0) first = int(i);
            QVERIFY2(mismatches == 0, qPrintable(QString("%1: %2 values differ, first at %3").arg(c.tensor).arg(mismatches).arg(first)));
        }
    }

    void handBuiltBlocks() {
        for (const test::HandBlock& h : test::hand_blocks()) {
            const WeightTypeInfo& info = weight_type_info(h.type);
            const int n = is_quantized(h.type) ? info.block_values : int(h.bytes.size()) / info.block_bytes;
            std::vector<float> got(static_cast<std::size_t>(n));
            dequantize(h.type, h.bytes.data(), n, got.data());
            for (const auto& [index, value] : h.expected)
                QVERIFY2(got[std::size_t(index)] == value,
                         qPrintable(QString("%1 value %2: %3, expected %4").arg(info.name).arg(index).arg(got[std::size_t(index)]).arg(value)));
        }
    }

    // The writer's encodings decode to within their format's step of the input.
    void quantizeRoundTrips() {
        std::vector<float> x(512);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * float(i)) * (1.0f + float(i % 7));
        // Worst error allowed: half a quantization step of the widest sub-block (values up to 7,
        // so a step of 14 / levels), plus the rounding of the 6-bit scale codes for K types.
        const struct {
            WeightType type;
            float tolerance;
        } cases[] = {{WeightType::F32, 0.0f},          {WeightType::F16, 7.0f / 2048},     {WeightType::BF16, 7.0f / 256},
                     {WeightType::Q8_0, 7.0f / 127},   {WeightType::Q4_0, 14.0f / 16},     {WeightType::Q4_1, 14.0f / 15},
                     {WeightType::Q5_0, 14.0f / 32},   {WeightType::Q5_1, 14.0f / 31},     {WeightType::Q4_K, 14.0f / 15 * 1.5f},
                     {WeightType::Q5_K, 14.0f / 31 * 1.5f}, {WeightType::Q6_K, 14.0f / 64 * 1.5f}};
        for (const auto& c : cases) {
            std::vector<std::uint8_t> bytes;
            QVERIFY(quantize(c.type, x, bytes).ok());
            QCOMPARE(std::int64_t(bytes.size()), row_bytes(c.type, 512));
            std::vector<float> back(x.size());
            dequantize(c.type, bytes.data(), std::int64_t(x.size()), back.data());
            float worst = 0.0f;
            for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(back[i] - x[i]));
            QVERIFY2(worst <= c.tolerance, qPrintable(QString("%1: error %2 > %3").arg(to_string(c.type)).arg(worst).arg(c.tolerance)));
        }
        std::vector<std::uint8_t> bytes;
        const auto bad = quantize(WeightType::Q4_K, std::span<const float>(x.data(), 100), bytes);
        QVERIFY(!bad.ok());
        QVERIFY2(bad.message().find("blocks of 256 values") != std::string::npos, bad.message().c_str());
    }
};

QTEST_APPLESS_MAIN(TestQuantTypes)
#include "test_quant_types.moc"
