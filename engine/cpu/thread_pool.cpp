#include "cpu/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kvs::cpu {

namespace {

// About 20-50 microseconds of polling before a worker sleeps: longer than the gap between two
// products of one decode step, far shorter than a scheduler time slice on a loaded machine.
constexpr int kSpins = 2000;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

}  // namespace

int ThreadPool::hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

ThreadPool::ThreadPool(int threads) {
    const int n = threads <= 0 ? hardware_threads() : threads;
    workers_.reserve(std::size_t(n - 1));
    for (int t = 1; t < n; ++t) workers_.emplace_back([this, t] { worker(t); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
}

void ThreadPool::take_tasks(int thread) {
    for (int i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) (*task_)(i, thread);
}

// A worker takes part in a run only if it registers (under the mutex) while the run is current,
// and run() waits only for registered workers: on a machine busy with other processes, a worker
// that is not scheduled in time leaves its share to the threads that are, instead of stalling
// the product until the scheduler gets to it. A late worker that registers after the caller
// took every task finds none; the next run() waits for it before changing the job.
void ThreadPool::run(int tasks, const Task& task) {
    if (workers_.empty() || tasks <= 1) {
        for (int i = 0; i < tasks; ++i) task(i, 0);
        return;
    }
    {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return active_ == 0; });
        task_ = &task;
        tasks_ = tasks;
        next_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    take_tasks(0);
    for (int i = 0; i < kSpins && busy_.load(std::memory_order_acquire) != 0; ++i) relax();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
}

void ThreadPool::worker(int thread) {
    std::uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < kSpins && generation_.load(std::memory_order_acquire) == seen; ++i) relax();
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
            if (stop_) return;
            seen = generation_.load(std::memory_order_relaxed);
            ++active_;
            busy_.fetch_add(1, std::memory_order_relaxed);
        }
        take_tasks(thread);
        {
            std::lock_guard lock(mutex_);
            busy_.fetch_sub(1, std::memory_order_release);
            if (--active_ == 0) done_.notify_all();
        }
    }
}

}  // namespace kvs::cpu
