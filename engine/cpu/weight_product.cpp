#include "cpu/weight_product.h"

#include <algorithm>
#include <cstdint>

#include "cpu/block_dot.h"

namespace kvs::cpu {

namespace {

// A guided split of a matrix's rows into tasks: each task takes 1/(2 x threads) of the rows not
// yet given out, in whole multiples of 16 rows and at least 1/(32 x threads) of the matrix, so the
// first tasks are long (few hand-outs) and the last ones short: the thread that finishes first
// waits only for a short task of the other, and a thread slowed by another process leaves the
// rest of its share to the others. One task when there is one thread or too little work to
// share, so such a product is exactly one kernel call. `max_rows` caps a task (prefill panels).
void split_rows(int rows, std::int64_t work, int threads, int max_rows, std::vector<int>& bounds) {
    bounds.assign(1, 0);
    if (threads <= 1 || work < ThreadPool::kMinSplitWork) {
        for (int r = std::min(rows, max_rows); r < rows; r += max_rows) bounds.push_back(r);
        bounds.push_back(rows);
        return;
    }
    const auto whole16 = [](int n) { return (n + 15) / 16 * 16; };
    const int least = std::max(16, whole16(rows / (32 * threads)));
    for (int r = 0; r < rows;) {
        const int wanted = std::clamp(whole16((rows - r) / (2 * threads)), least, max_rows);
        r = std::min(rows, r + wanted);
        bounds.push_back(r);
    }
}

// Prefill of a quantized matrix decodes panels of at most this many rows: a few hundred KiB of
// F32 per thread.
constexpr int kPanelRows = 64;

}  // namespace

WeightProduct::WeightProduct(int threads) : pool_(threads), panels_(std::size_t(pool_.threads())) {}

void WeightProduct::plan(const RowMatrix& in, const Tensor& w, float* out, Plan& p) const {
    const int n = int(in.rows());
    p.w = &w;
    p.out = out;
    // F32 goes to Eigen, except decode on a processor with AVX2: the engine is built for
    // SSE2 (portable binaries), so Eigen's GEMV runs 4 lanes wide, while the row dot is an 8-lane
    // FMA chosen at run time.
    int max_rows = w.rows;
    if (w.f32() != nullptr && (n > kRowDotInputs || !row_dot_uses_avx2())) {
        p.kernel = Plan::Kernel::Eigen;
    } else if (n <= kRowDotInputs) {
        p.kernel = Plan::Kernel::RowDot;
    } else {
        p.kernel = Plan::Kernel::Panels;
        max_rows = kPanelRows;
    }
    split_rows(w.rows, std::int64_t(n) * w.rows * w.cols, threads(), max_rows, p.bounds);
}

void WeightProduct::run_task(const RowMatrix& in, const Plan& p, int task, int thread) {
    const Tensor& w = *p.w;
    Eigen::Map<RowMatrix> out(p.out, in.rows(), w.rows);
    const int r0 = p.bounds[std::size_t(task)], nr = p.bounds[std::size_t(task) + 1] - r0;
    switch (p.kernel) {
    case Plan::Kernel::Eigen:
        out.middleCols(r0, nr).noalias() = in * ConstMatrixMap(w.f32(), w.rows, w.cols).middleRows(r0, nr).transpose();
        return;
    case Plan::Kernel::RowDot: {
        const RowDot dot = row_dot(w.storage_type());
        const std::int64_t stride = w.row_stride_bytes();
        const std::uint8_t* row = w.row_bytes_at(r0);
        for (int r = r0; r < r0 + nr; ++r, row += stride)
            for (int i = 0; i < int(in.rows()); ++i) out(i, r) = dot(row, in.row(i).data(), w.cols);
        return;
    }
    case Plan::Kernel::Panels: {
        std::vector<float>& panel = panels_[std::size_t(thread)];
        panel.resize(std::size_t(nr) * std::size_t(w.cols));
        for (int r = 0; r < nr; ++r) w.row_to_f32(r0 + r, panel.data() + std::size_t(r) * std::size_t(w.cols));
        out.middleCols(r0, nr).noalias() = in * ConstMatrixMap(panel.data(), nr, w.cols).transpose();
        return;
    }
    }
}

void WeightProduct::multiply(const RowMatrix& in, const Tensor& w, RowMatrix& out) { multiply(in, {{w, out}}); }

void WeightProduct::multiply_into(const RowMatrix& in, const Tensor& w, float* out) {
    if (plans_.empty()) plans_.resize(1);
    plan(in, w, out, plans_[0]);
    pass_plans_ = 1;
    run_pass(in);
}

void WeightProduct::multiply(const RowMatrix& in, std::initializer_list<Target> targets) {
    // plans_ keeps its elements between passes, so their bounds keep their memory.
    if (plans_.size() < targets.size()) plans_.resize(targets.size());
    std::size_t i = 0;
    for (const Target& t : targets) {
        t.out.resize(in.rows(), t.w.rows);
        plan(in, t.w, t.out.data(), plans_[i++]);
    }
    pass_plans_ = targets.size();
    run_pass(in);
}

// The tasks of every plan of the pass in one run of the pool: task t belongs to the first plan
// whose tasks reach past t.
void WeightProduct::run_pass(const RowMatrix& in) {
    int tasks = 0;
    std::int64_t work = 0;
    for (std::size_t k = 0; k < pass_plans_; ++k) {
        tasks += plans_[k].tasks();
        work += in.rows() * std::int64_t(plans_[k].w->rows) * plans_[k].w->cols;
    }
    const auto task_of_pass = [this, &in](int task, int thread) {  // small enough for std::function's buffer
        for (std::size_t k = 0; k < pass_plans_; ++k) {
            const Plan& p = plans_[k];
            if (task < p.tasks()) return run_task(in, p, task, thread);
            task -= p.tasks();
        }
    };
    if (work < ThreadPool::kMinSplitWork) {  // too little to share: all of it on this thread
        for (int t = 0; t < tasks; ++t) task_of_pass(t, 0);
    } else {
        pool_.run(tasks, task_of_pass);
    }
}

}  // namespace kvs::cpu
