#pragma once
// out = in * W^T for a weight matrix in its stored type, with W's rows split across a thread
// pool. F32 rows go through Eigen (in decode only without AVX2); other types, and F32 decode
// with AVX2, either through the row dots of block_dot.h (one or two input rows: decode, where
// reading the weights is the whole cost) or, for more input rows (prefill), through panels of rows dequantized once per pass and multiplied by
// Eigen, so each weight byte is decoded once per pass whatever the prompt length.
#include <vector>

#include "cpu/cpu_kernels.h"
#include "cpu/thread_pool.h"
#include "model/weights.h"

namespace kvs::cpu {

class WeightProduct {
public:
    // `threads` in all (0 = every hardware thread).
    explicit WeightProduct(int threads);

    int threads() const { return pool_.threads(); }
    ThreadPool& pool() { return pool_; }

    // out [n, w.rows] = in [n, w.cols] * W^T.
    void multiply(const RowMatrix& in, const Tensor& w, RowMatrix& out);

    // Input rows up to which quantized products use the row dots rather than decoded panels.
    static constexpr int kRowDotInputs = 2;

private:
    ThreadPool pool_;
    std::vector<std::vector<float>> panels_;  // per thread: decoded weight rows
};

}  // namespace kvs::cpu
