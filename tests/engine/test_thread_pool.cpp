// The CPU backend's thread pool and thread count: every task runs exactly once whatever the
// thread count, the workers really take part, and greedy decoding gives the known tokens of
// stories260K and makemore-names with one thread and with two.
#include <QtTest>

#include <atomic>
#include <set>
#include <thread>

#include "core/backend.h"
#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"
#include "model/model.h"
#include "test_paths.h"

using namespace kvs;

namespace {

std::vector<int> greedy(Backend& b, std::vector<int> feed, int steps) {
    std::vector<int> ids = feed;
    ForwardOutput o;
    int pos = 0;
    for (int s = 0; s < steps; ++s) {
        if (!b.forward(feed, pos, false, {}, o).ok()) return {};
        const int next = int(std::max_element(o.logits.begin(), o.logits.end()) - o.logits.begin());
        pos += int(feed.size());
        ids.push_back(next);
        feed = {next};
    }
    return ids;
}

}  // namespace

class TestThreadPool : public QObject {
    Q_OBJECT

private slots:
    void everyTaskRunsOnce() {
        for (const int threads : {1, 2, 4}) {
            cpu::ThreadPool pool(threads);
            QCOMPARE(pool.threads(), threads);
            for (int round = 0; round < 2000; ++round) {  // many wake-ups: no task lost or run twice
                // Now and then a pause long enough for the workers to stop polling and sleep.
                if (round % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(2));
                const int tasks = 1 + round % 37;
                std::vector<std::atomic<int>> runs(static_cast<std::size_t>(tasks));
                std::atomic<int> bad_thread{0};
                pool.run(tasks, [&](int t, int thread) {
                    if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
                    runs[std::size_t(t)].fetch_add(1);
                });
                QCOMPARE(bad_thread.load(), 0);
                for (const auto& r : runs) QCOMPARE(r.load(), 1);
            }
        }
        QVERIFY(cpu::ThreadPool(0).threads() == cpu::ThreadPool::hardware_threads());
    }

    // With two threads, both take tasks: each task waits until two distinct threads are seen
    // (or gives up after a while), which only a pool with a live worker can satisfy.
    void workersTakePart() {
        cpu::ThreadPool pool(2);
        std::mutex m;
        std::set<std::thread::id> seen;
        pool.run(8, [&](int, int) {
            {
                std::lock_guard lock(m);
                seen.insert(std::this_thread::get_id());
            }
            for (int i = 0; i < 2000; ++i) {
                {
                    std::lock_guard lock(m);
                    if (seen.size() >= 2) return;
                }
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            }
        });
        QCOMPARE(int(seen.size()), 2);
    }

    void greedyTokensDoNotDependOnThreads() {
        auto stories = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY(stories.ok());
        const std::vector<int> known(std::begin(test::kStoriesGreedyIds), std::end(test::kStoriesGreedyIds));
        auto makemore = load_model(test::makemore_dir());
        QVERIFY(makemore.ok());
        for (const int threads : {1, 2}) {
            BackendOptions o;
            o.threads = threads;
            CpuBackend a(*stories, o);
            QCOMPARE(a.threads(), threads);
            QVERIFY(a.device_name().find(threads == 1 ? "1 thread)" : "2 threads)") != std::string::npos);
            QCOMPARE(greedy(a, {known.begin(), known.begin() + 5}, 56), known);
            // makemore-names from its start token: "alexia" (docs/FORMATS.md).
            CpuBackend b(*makemore, o);
            QCOMPARE(greedy(b, {0}, 7), (std::vector<int>{0, 1, 12, 5, 24, 9, 1, 0}));
        }
    }
};

QTEST_APPLESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
