#include "memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <new>
#include <thread>
#include <vector>

#include "cpu/block_dot.h"

namespace kvs::cli {

namespace {

// The buffer is read the way decode reads a weight matrix: rows of F32 through the engine's row
// kernel (AVX2 with its software prefetch where the processor has it), so the figure is what
// that kernel can draw from memory, and a decode step's fraction of it says how much the rest of
// the step (attention, waiting between products, the serial parts) costs.
constexpr int kRowFloats = 1024;

float sum_range(const float* p, std::size_t n) {
    static const std::vector<float> ones(kRowFloats, 1.0f);
    const cpu::RowDot dot = cpu::row_dot(WeightType::F32);
    float s = 0.0f;
    for (std::size_t row = 0; row + kRowFloats <= n; row += kRowFloats)
        s += dot(reinterpret_cast<const std::uint8_t*>(p + row), ones.data(), kRowFloats);
    return s;
}

}  // namespace

double measured_read_bandwidth(int threads) {
    constexpr std::size_t kFloats = std::size_t(64) << 20;  // 256 MiB
    std::vector<float> buffer;
    try {
        buffer.assign(kFloats, 1.0f);  // written once, so every page is resident
    } catch (const std::bad_alloc&) {
        return 0.0;
    }
    const int n = std::max(1, threads);
    std::vector<float> sums(static_cast<std::size_t>(n));
    double best = 0.0;
    for (int pass = 0; pass < 5; ++pass) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        const std::size_t share = kFloats / std::size_t(n);
        for (int t = 1; t < n; ++t)
            pool.emplace_back([&, t] { sums[std::size_t(t)] = sum_range(buffer.data() + std::size_t(t) * share, share); });
        sums[0] = sum_range(buffer.data(), share);
        for (std::thread& th : pool) th.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        volatile float keep = sums[0];  // the sums must be computed
        (void)keep;
        best = std::max(best, double(share) * double(n) * 4.0 / s);
    }
    return best;
}

}  // namespace kvs::cli
