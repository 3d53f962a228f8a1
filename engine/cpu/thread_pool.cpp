#include "cpu/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kvs::cpu {

namespace {

// How long a thread polls before it sleeps: longer than the gap between two decode steps of a
// small model (sampling, printing, the session's bookkeeping), so that the workers stay awake
// through a whole generation instead of paying a wake-up at every token, and far shorter than a
// scheduler time slice on a loaded machine. The clock is read every kPollBatch polls.
constexpr auto kPollTime = std::chrono::microseconds(200);
constexpr int kPollBatch = 64;

constexpr std::uint64_t kLow32 = 0xffffffffu;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Polls `ready` for up to kPollTime; true when it became true.
template <class Ready>
bool poll(Ready ready) {
    if (ready()) return true;
    const auto until = std::chrono::steady_clock::now() + kPollTime;
    do {
        for (int i = 0; i < kPollBatch; ++i) {
            if (ready()) return true;
            relax();
        }
    } while (std::chrono::steady_clock::now() < until);
    return ready();
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
    stop_.store(true);
    generation_.fetch_add(1);
    {
        std::lock_guard lock(mutex_);
        wake_.notify_all();
    }
    for (std::thread& w : workers_) w.join();
}

// Takes tasks of `generation` until none is left. The ticket names its generation, and a task is
// taken by compare-and-swap: a thread still working on an older generation sees the generation
// change and stops, without using up an index of the new job.
void ThreadPool::take_tasks(std::uint64_t generation, int thread) {
    const Job& job = jobs_[generation & 1];
    const std::uint64_t mine = generation & kLow32;
    std::uint64_t ticket = ticket_.load(std::memory_order_acquire);
    for (;;) {
        if ((ticket >> 32) != mine || int(ticket & kLow32) >= job.tasks) return;
        if (ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
            (*job.task)(int(ticket & kLow32), thread);
            ticket = ticket_.load(std::memory_order_acquire);
        }
    }
}

void ThreadPool::wait_until_idle() {
    if (poll([&] { return active_.load(std::memory_order_acquire) == 0; })) return;
    std::unique_lock lock(mutex_);
    caller_sleeping_.store(true);
    done_.wait(lock, [&] { return active_.load() == 0; });
    caller_sleeping_.store(false, std::memory_order_relaxed);
}

// A worker takes part in a generation only if it registers (active_) while that generation is
// still the current one, and run() waits only for registered workers: on a machine busy with
// other processes, a worker that is not scheduled in time leaves its share to the threads that
// are, instead of stalling the product until the scheduler gets to it. A registered worker keeps
// run() from preparing the generation after next, so the job slot it reads stays intact.
void ThreadPool::run(int tasks, const Task& task) {
    if (workers_.empty() || tasks <= 1) {
        for (int i = 0; i < tasks; ++i) task(i, 0);
        return;
    }
    wait_until_idle();  // a worker that registered late for the previous generation
    const std::uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
    jobs_[generation & 1] = Job{&task, tasks};
    ticket_.store((generation & kLow32) << 32, std::memory_order_relaxed);
    generation_.store(generation);  // publishes the job and the ticket
    if (sleeping_workers_.load() > 0) {
        std::lock_guard lock(mutex_);
        wake_.notify_all();
    }
    take_tasks(generation, 0);
    wait_until_idle();
}

void ThreadPool::worker(int thread) {
    std::uint64_t seen = 0;
    for (;;) {
        std::uint64_t generation = seen;
        if (!poll([&] { return (generation = generation_.load(std::memory_order_acquire)) != seen; })) {
            std::unique_lock lock(mutex_);
            sleeping_workers_.fetch_add(1);
            wake_.wait(lock, [&] { return (generation = generation_.load()) != seen; });
            sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
        }
        if (stop_.load(std::memory_order_acquire)) return;
        seen = generation;
        active_.fetch_add(1);
        if (generation_.load() == generation) take_tasks(generation, thread);
        if (active_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
            std::lock_guard lock(mutex_);
            done_.notify_all();
        }
    }
}

}  // namespace kvs::cpu
