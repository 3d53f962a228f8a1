#include "cpu/product_threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace kvs::cpu {

namespace {
constexpr std::int64_t kParallelMultiplyAdds = std::int64_t(1) << 24;
}

void use_threads_for_product(std::int64_t rows, std::int64_t cols, std::int64_t depth) {
#ifdef _OPENMP
    static const int all_threads = omp_get_max_threads();  // honours OMP_NUM_THREADS
    omp_set_num_threads(rows * cols * depth >= kParallelMultiplyAdds ? all_threads : 1);
#else
    (void)rows, (void)cols, (void)depth;
#endif
}

}  // namespace kvs::cpu
