// The CPU's products with weights kept in their file type (cpu/block_dot.h, cpu/weight_product.h)
// against dequantize-then-F32: hand-built blocks of every block type (tests/support/quant_blocks.h,
// values worked out from ggml's block definitions) and ggml's reference quantization of every
// type (../shared/models/ggml-quants), each through the AVX2 and the portable row dots, and
// through the pool with one and two threads, for one and two input rows (row dots) and for five
// (decoded panels).
#include <QtTest>

#include <cmath>
#include <random>

#include "cpu/block_dot.h"
#include "cpu/weight_product.h"
#include "model/dequantize.h"
#include "model/gguf_reader.h"
#include "quant_blocks.h"
#include "test_paths.h"

using namespace kvs;

namespace {

// Error allowed: 1e-5 of the sum of |w_i x_i| (the size of the terms; equal to |y| when no
// terms cancel). Both sides add the same F32 products in different orders (blocks first, lanes
// of 8) and the fused kernels factor each block's scale out of its sum; each reordering moves
// the result by a few F32 roundings of the terms' magnitude, about 1e-7 of it per step.
constexpr double kRelative = 1e-5;

struct Case {
    std::string label;
    Tensor w;                    // rows in place in `bytes`
    std::vector<float> decoded;  // [rows, cols] by the reference decoder
};

Case make_case(std::string label, WeightType type, std::shared_ptr<std::vector<std::uint8_t>> bytes, int rows, int cols) {
    Case c{std::move(label), Tensor::in_place(type, bytes->data(), rows, cols, bytes), {}};
    c.decoded.resize(std::size_t(rows) * std::size_t(cols));
    dequantize(type, bytes->data(), std::int64_t(rows) * cols, c.decoded.data());
    return c;
}

cpu::RowMatrix inputs(int n, int cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    cpu::RowMatrix x(n, cols);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < cols; ++j) x(i, j) = dist(rng);
    return x;
}

// Worst |got - reference| / (sum |w x|) over every output; the reference in double.
double worst_error(const Case& c, const cpu::RowMatrix& x, const cpu::RowMatrix& got) {
    double worst = 0.0;
    for (int i = 0; i < x.rows(); ++i)
        for (int r = 0; r < c.w.rows; ++r) {
            double ref = 0.0, size = 0.0;
            for (int j = 0; j < c.w.cols; ++j) {
                const double t = double(c.decoded[std::size_t(r) * std::size_t(c.w.cols) + std::size_t(j)]) * double(x(i, j));
                ref += t;
                size += std::fabs(t);
            }
            const double e = std::fabs(double(got(i, r)) - ref);
            worst = std::max(worst, size > 0.0 ? e / size : e);
        }
    return worst;
}

void check_case(const Case& c) {
    double largest = 0.0;
    // Row dots, both instruction sets.
    const cpu::RowMatrix x1 = inputs(1, c.w.cols, 7);
    for (const bool avx2 : {true, false}) {
        const cpu::RowDot dot = cpu::row_dot(c.w.type, avx2);
        cpu::RowMatrix got(1, c.w.rows);
        for (int r = 0; r < c.w.rows; ++r) got(0, r) = dot(c.w.row_bytes_at(r), x1.row(0).data(), c.w.cols);
        const double e = worst_error(c, x1, got);
        largest = std::max(largest, e);
        QVERIFY2(e <= kRelative, qPrintable(QString("%1, %2 row dot: relative error %3")
                                                .arg(QString::fromStdString(c.label), avx2 ? "AVX2" : "portable").arg(e)));
    }
    // The pool's products: row dots (1, 2 inputs) and panels (5 inputs), 1 and 2 threads.
    for (const int threads : {1, 2}) {
        cpu::WeightProduct product(threads);
        QCOMPARE(product.threads(), threads);
        for (const int n : {1, 2, 5}) {
            const cpu::RowMatrix x = inputs(n, c.w.cols, unsigned(11 + n));
            cpu::RowMatrix got;
            product.multiply(x, c.w, got);
            QCOMPARE(int(got.rows()), n);
            QCOMPARE(int(got.cols()), c.w.rows);
            const double e = worst_error(c, x, got);
            largest = std::max(largest, e);
            QVERIFY2(e <= kRelative, qPrintable(QString("%1, %2 threads, %3 inputs: relative error %4")
                                                    .arg(QString::fromStdString(c.label)).arg(threads).arg(n).arg(e)));
        }
    }
    qInfo("%s: largest relative error %.2g", c.label.c_str(), largest);
}

}  // namespace

class TestQuantMatvec : public QObject {
    Q_OBJECT

private slots:
    // Each hand-built block is checked value by value (the expected values were worked out by
    // hand from the block definitions), then used as a matrix: 3 rows of 3 blocks, each row the
    // block with its quants shifted (byte k of the data part + row), so rows differ.
    void handBuiltBlocks() {
        for (const test::HandBlock& h : test::hand_blocks()) {
            if (!is_quantized(h.type)) continue;  // F16/BF16 hand values include infinity
            const WeightTypeInfo& info = weight_type_info(h.type);
            std::vector<float> one(std::size_t(info.block_values));
            dequantize(h.type, h.bytes.data(), info.block_values, one.data());
            for (const auto& [index, value] : h.expected) QCOMPARE(one[std::size_t(index)], value);

            constexpr int kRows = 3, kBlocks = 3;
            auto bytes = std::make_shared<std::vector<std::uint8_t>>();
            for (int r = 0; r < kRows; ++r)
                for (int b = 0; b < kBlocks; ++b) {
                    std::vector<std::uint8_t> block = h.bytes;
                    // The scales stay (they are the block's first or last bytes); the quants
                    // in between change from row to row and block to block.
                    const std::size_t lo = h.type == WeightType::Q2_K ? 16 : 4, hi = block.size() - 4;
                    for (std::size_t k = lo; k < hi; ++k) block[k] = std::uint8_t(block[k] + 37 * r + 11 * b + k);
                    bytes->insert(bytes->end(), block.begin(), block.end());
                }
            check_case(make_case(std::string("hand-built ") + info.name, h.type, bytes, kRows, kBlocks * info.block_values));
            if (QTest::currentTestFailed()) return;
        }
    }

    // ggml's reference quantization of every type (64 rows of 512): the product of the stored
    // blocks with a vector matches the product of the file's own `.dequant` tensor with it.
    void referenceTensors() {
        auto f = GgufFile::open(test::shared_path("models/ggml-quants/ggml-quant-reference.gguf"));
        QVERIFY2(f.ok(), f.ok() ? "" : f.message().c_str());
        for (const char* name : {"f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K"}) {
            const GgufTensorInfo* q = f->find_tensor(name);
            const GgufTensorInfo* want = f->find_tensor(std::string(name) + ".dequant");
            QVERIFY2(q && want, name);
            QCOMPARE(q->dims.size(), std::size_t(2));
            const int cols = int(q->dims[0]), rows = int(q->dims[1]);
            const auto data = f->tensor_data(*q);
            auto bytes = std::make_shared<std::vector<std::uint8_t>>(data.begin(), data.end());
            Case c{name, Tensor::in_place(*weight_type_from_ggml(q->type_id), bytes->data(), rows, cols, bytes), {}};
            c.decoded.resize(std::size_t(rows) * std::size_t(cols));
            std::memcpy(c.decoded.data(), f->tensor_data(*want).data(), c.decoded.size() * 4);  // ggml's dequantization
            check_case(c);
            if (QTest::currentTestFailed()) return;
        }
    }

    // F32 rows in place go through Eigen, split over the threads, and equal the unsplit product.
    void f32RowsSplitOverThreads() {
        const int rows = 100, cols = 48;
        auto bytes = std::make_shared<std::vector<std::uint8_t>>(std::size_t(rows) * cols * 4);
        const cpu::RowMatrix w = inputs(rows, cols, 3);
        std::memcpy(bytes->data(), w.data(), bytes->size());
        const Tensor t = Tensor::in_place(WeightType::F32, bytes->data(), rows, cols, bytes);
        const cpu::RowMatrix x = inputs(3, cols, 4);
        const cpu::RowMatrix want = x * w.transpose();
        for (const int threads : {1, 2, 3}) {
            cpu::WeightProduct product(threads);
            cpu::RowMatrix got;
            product.multiply(x, t, got);
            QVERIFY((got - want).cwiseAbs().maxCoeff() <= 1e-5f * want.cwiseAbs().maxCoeff());
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantMatvec)
#include "test_quant_matvec.moc"
