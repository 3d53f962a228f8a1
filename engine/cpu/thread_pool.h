#pragma once
// A persistent pool of worker threads for the forward pass: decode is a few dozen small
// products per token, so the workers are started once and woken per product (a short spin,
// then a condition variable) instead of forking threads for every op. The calling thread works
// too: a pool of N threads has N - 1 workers.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kvs::cpu {

class ThreadPool {
public:
    // `threads` in all, the caller included; 0 = every hardware thread.
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return int(workers_.size()) + 1; }
    // Multiply-adds below which splitting a product costs more than it saves: waking the workers
    // and waiting for the last of them takes microseconds, as long as this much arithmetic on one
    // core. Tiny models (stories260K: 4K multiply-adds per matrix) run each product on the
    // calling thread; their decode was 40% slower on 2 threads than on 1 when every product was
    // split (docs/PERFORMANCE.md).
    static constexpr std::int64_t kMinSplitWork = 64 * 1024;
    static int hardware_threads();

    // Calls task(i, thread) for every i in [0, tasks) and returns when all are done. Tasks are
    // handed out one at a time to whichever thread is free (the machine may be shared, so a
    // static split would wait for the slowest thread); `thread` in [0, threads()) identifies the
    // executing thread for per-thread scratch memory.
    using Task = std::function<void(int task, int thread)>;
    void run(int tasks, const Task& task);

private:
    void worker(int thread);
    void take_tasks(int thread);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::atomic<std::uint64_t> generation_{0};  // one more per run(); workers wait for a change
    std::atomic<int> next_{0};                  // the next task to hand out
    int active_ = 0;                            // workers registered in a run and not through it (mutex_)
    std::atomic<int> busy_{0};                  // the same, for the caller's polling without the lock
    int tasks_ = 0;
    const Task* task_ = nullptr;
    bool stop_ = false;  // mutex_
};

}  // namespace kvs::cpu
