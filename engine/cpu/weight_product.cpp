#include "cpu/weight_product.h"

#include <algorithm>
#include <cstdint>

#include "cpu/block_dot.h"

namespace kvs::cpu {

namespace {

// Rows per task: about four tasks per thread (a thread slowed by another process leaves its
// share to the others), whole multiples of 16 rows, and one task when there is one thread or too
// little work to share, so such a product is exactly one Eigen call.
int rows_per_task(int rows, std::int64_t work, int threads) {
    if (threads <= 1 || work < ThreadPool::kMinSplitWork) return rows;
    const int wanted = (rows + 4 * threads - 1) / (4 * threads);
    return std::max(16, (wanted + 15) / 16 * 16);
}

}  // namespace

WeightProduct::WeightProduct(int threads) : pool_(threads), panels_(std::size_t(pool_.threads())) {}

void WeightProduct::multiply(const RowMatrix& in, const Tensor& w, RowMatrix& out) {
    const int n = int(in.rows()), rows = w.rows, cols = w.cols;
    out.resize(n, rows);
    const int per_task = rows_per_task(rows, std::int64_t(n) * rows * cols, threads());
    const int tasks = (rows + per_task - 1) / per_task;

    // F32 goes to Eigen, except decode on a processor with AVX2: the engine is built for
    // SSE2 (portable binaries), so Eigen's GEMV runs 4 lanes wide, while the row dot is an 8-lane
    // FMA chosen at run time.
    const float* f = w.f32();
    if (f != nullptr && (n > kRowDotInputs || !row_dot_uses_avx2())) {
        const ConstMatrixMap W(f, rows, cols);
        pool_.run(tasks, [&](int t, int) {
            const int r0 = t * per_task, nr = std::min(per_task, rows - r0);
            out.middleCols(r0, nr).noalias() = in * W.middleRows(r0, nr).transpose();
        });
        return;
    }
    if (n <= kRowDotInputs) {
        const RowDot dot = row_dot(w.storage_type());
        pool_.run(tasks, [&](int t, int) {
            const int r0 = t * per_task, r1 = std::min(rows, r0 + per_task);
            for (int r = r0; r < r1; ++r) {
                const std::uint8_t* row = w.row_bytes_at(r);
                for (int i = 0; i < n; ++i) out(i, r) = dot(row, in.row(i).data(), cols);
            }
        });
        return;
    }
    // Panels of at most 64 rows: a few hundred KiB of decoded weights per thread.
    const int per_panel = std::min(per_task, 64), panels = (rows + per_panel - 1) / per_panel;
    pool_.run(panels, [&](int t, int thread) {
        const int r0 = t * per_panel, nr = std::min(per_panel, rows - r0);
        std::vector<float>& panel = panels_[std::size_t(thread)];
        panel.resize(std::size_t(nr) * std::size_t(cols));
        for (int r = 0; r < nr; ++r) w.row_to_f32(r0 + r, panel.data() + std::size_t(r) * std::size_t(cols));
        out.middleCols(r0, nr).noalias() = in * ConstMatrixMap(panel.data(), nr, cols).transpose();
    });
}

}  // namespace kvs::cpu
