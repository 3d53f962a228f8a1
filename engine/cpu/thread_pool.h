#pragma once
// A persistent pool of worker threads for the forward pass: decode is a few dozen small
// products per token, so the workers are started once and woken per product instead of forking
// threads for every op. Handing out a product and waiting for it takes no lock while the workers
// are awake (they poll for a while after each product, then sleep on a condition variable). The
// calling thread works too: a pool of N threads has N - 1 workers.
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
    // The most threads an option may ask for (--threads, the GUI's CPU threads).
    static constexpr int kMaxThreads = 256;

    // Calls task(i, thread) for every i in [0, tasks) and returns when all are done. Tasks are
    // handed out one at a time to whichever thread is free (the machine may be shared, so a
    // static split would wait for the slowest thread); `thread` in [0, threads()) identifies the
    // executing thread for per-thread scratch memory. Called from one thread at a time.
    using Task = std::function<void(int task, int thread)>;
    void run(int tasks, const Task& task);

private:
    // What run() hands out. Two slots, alternating by generation: a worker that read the
    // previous generation's number late still finds that generation's job intact (see run()).
    struct Job {
        const Task* task = nullptr;
        int tasks = 0;
    };

    void worker(int thread);
    void take_tasks(std::uint64_t generation, int thread);
    void wait_until_idle();

    std::vector<std::thread> workers_;
    Job jobs_[2];
    // Each on its own cache line: workers poll generation_ while the threads at work update the
    // other two.
    alignas(64) std::atomic<std::uint64_t> generation_{0};  // one more per run(); workers wait for a change
    // The next task of the current generation: generation in the high 32 bits, task index in the
    // low 32. Taken by compare-and-swap, so a late worker never takes an index of a newer job.
    alignas(64) std::atomic<std::uint64_t> ticket_{0};
    alignas(64) std::atomic<int> active_{0};  // workers registered in a generation and not through it
    // Sleeping: workers that stopped polling wait on wake_, the caller that stopped polling on
    // done_; each side looks at the other's counter before notifying, so a notification is only
    // paid for when someone sleeps.
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::atomic<int> sleeping_workers_{0};
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
};

}  // namespace kvs::cpu
