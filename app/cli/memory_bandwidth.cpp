#include "memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <new>
#include <thread>
#include <vector>

namespace kvs::cli {

namespace {

// Eight independent sums so the compiler can keep several vector loads in flight.
float sum_range(const float* p, std::size_t n) {
    float s[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) s[k] += p[i + std::size_t(k)];
    for (; i < n; ++i) s[0] += p[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
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
