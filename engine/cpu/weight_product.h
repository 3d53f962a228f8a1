#pragma once
// out = in * W^T for a weight matrix in its stored type, with W's rows split across a thread
// pool. F32 rows go through Eigen (in decode only without AVX2); other types, and F32 decode
// with AVX2, either through the row dots of block_dot.h (one or two input rows: decode, where
// reading the weights is the whole cost) or, for more input rows (prefill), through panels of
// rows dequantized once per pass and multiplied by Eigen, so each weight byte is decoded once per
// pass whatever the prompt length. Products of one input (Q, K and V; an FFN's gate and up) can
// be handed to the pool together: one wake-up and one wait instead of one per matrix.
#include <initializer_list>
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

    // The same for several weights of one input, in one pass of the pool.
    struct Target {
        const Tensor& w;
        RowMatrix& out;
    };
    void multiply(const RowMatrix& in, std::initializer_list<Target> targets);

    // out = in * W^T into memory the caller sized: [in.rows(), w.rows] row-major floats (the
    // classifier writes a pass's logits straight into the backend's output).
    void multiply_into(const RowMatrix& in, const Tensor& w, float* out);

    // Input rows up to which quantized products use the row dots rather than decoded panels.
    static constexpr int kRowDotInputs = 2;

private:
    // One weight's share of a pass: its rows cut into tasks, and how each task multiplies.
    struct Plan {
        enum class Kernel { Eigen, RowDot, Panels };
        const Tensor* w = nullptr;
        float* out = nullptr;  // [in rows, w->rows] row-major
        Kernel kernel = Kernel::Eigen;
        std::vector<int> bounds;  // task t multiplies rows [bounds[t], bounds[t + 1])
        int tasks() const { return int(bounds.size()) - 1; }
    };
    void plan(const RowMatrix& in, const Tensor& w, float* out, Plan& p) const;
    void run_pass(const RowMatrix& in);
    void run_task(const RowMatrix& in, const Plan& p, int task, int thread);

    ThreadPool pool_;
    std::vector<std::vector<float>> panels_;  // per thread: decoded weight rows
    std::vector<Plan> plans_;                 // the pass being run: its first pass_plans_ entries
    std::size_t pass_plans_ = 0;
};

}  // namespace kvs::cpu
