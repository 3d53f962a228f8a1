#pragma once
// The only bridge between Qt and the engine. The engine objects (model, backend, generation
// session) live on a worker thread owned by this controller; the public slots below return at
// once and queue the work there. Results come back as queued signals carrying plain values.
// The GUI thread never waits on the engine.
//
// Every run has a generation id. configure(), reset() and cancel() start a new generation, and
// event batches of an older one (a cancelled or superseded run still finishing its step) are
// dropped instead of reaching the views.
#include <QElapsedTimer>
#include <QObject>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <deque>

#include "engine_types.h"
#include "engine_worker.h"

namespace kvs::ui {

class EngineController : public QObject {
    Q_OBJECT
public:
    explicit EngineController(QObject* parent = nullptr);
    ~EngineController() override;

    bool isBusy() const { return reported_busy_; }
    // The least time between two steps of a run, so that a class can follow it (0: full
    // speed). Takes effect at once, also in the middle of a run.
    void setPace(int ms_per_step) { pace_ms_.store(std::max(0, ms_per_step)); }
    int pace() const { return pace_ms_.load(); }
    quint64 generation() const { return generation_.load(); }
    // Batches received but not yet handed to eventsReady (delivered in slices, see drain()).
    int pendingBatches() const { return int(queue_.size()); }

public slots:
    void loadModel(const QString& path, const QString& tokenizer = {});
    void loadSynthetic(const QString& preset, int layers = 0);
    // A model built by the caller (a benchmark's synthetic shape); it moves to the worker.
    void loadBuiltModel(std::shared_ptr<kvs::Model> model);
    // Starts a new run on the loaded model: creates the backend and the session, tokenizes
    // the prompt and emits RunStarted (as the first batch of the new generation).
    void configure(const QString& prompt, const kvs::SamplingOptions& sampling, const QString& backend,
                   bool use_cache, const kvs::AttentionCapture& capture);
    void configure(const RunSettings& settings);
    void prefill();
    void step();
    // Up to max_new more steps; the run ends ("limit") when they are all done.
    void run(int max_new);
    // Stops a run after its current step; run() or step() continue it.
    void pause();
    // Drops the session: the next prefill/step/run starts over with the last configuration.
    void reset();
    // Stops the current run and drops any of its results still on the way.
    void cancel();
    void requestKvSnapshot(int layer, int kv_head, int sequence = 0);
    // The debugger (runs of one prompt; docs/DEBUGGER.md). Each answers with debuggerChanged.
    void rewind(int step, bool keep_branch = true);
    void forceAt(int step, int token, const QString& text = {});
    void switchBranch(int branch);
    void dropBranch(int branch);
    void addBreakpoint(const QString& spec);
    void setBreakpointEnabled(int id, bool enabled);
    void removeBreakpoint(int id);
    // Runs the prompt twice on the loaded model, with the settings of A and of B, and answers
    // with comparisonReady. The current run is left as it is.
    void compareRuns(const kvs::ui::CompareSettings& settings);
    // Stops a comparison between two of its steps: no comparisonReady then, a warning instead.
    void cancelComparison();
    // Experiments on the run (docs/DEBUGGER.md); they read the run and change nothing of it.
    void requestPerturbation(int position, int zero_layer = -1, const QString& zero_op = {});
    void requestLogitLens(int step);

signals:
    void modelLoaded(const kvs::ui::ModelInfo& info);
    void eventsReady(const kvs::ui::EventBatch& batch);  // one batch per step
    void errorOccurred(const QString& message);
    void warningRaised(const QString& message);
    void busyChanged(bool busy);
    void backendInfo(const QString& name, const QString& device, const QString& fallback_reason);
    void kvSnapshotReady(const kvs::ui::KvSnapshot& snapshot);
    void debuggerChanged(const kvs::ui::DebuggerState& state);
    void comparisonReady(const kvs::RunComparison& comparison);
    // A comparison's progress: steps recorded by run `run` (0 = A, 1 = B) of `total`, at most
    // every 100 ms and at the end of each run.
    void comparisonProgress(int run, int steps, int total);
    void perturbationReady(const kvs::ui::PerturbationResult& result);
    void logitLensReady(const kvs::ui::LogitLensResult& result);

private:
    // Queues fn on the worker. Work that changes the run counts as busy from this call until the
    // worker has done it, so the window disables its actions before the worker even starts:
    // a second Prefill pressed at once is not queued behind the first.
    template <typename Fn>
    void post(Fn&& fn, bool counts_as_busy = true);
    quint64 newGeneration();
    void onBatch(quint64 gen, const SharedEventBatch& batch);
    void onWorkDone();
    void drain();
    void updateBusy();

    QThread thread_;
    EngineWorker* worker_;  // owned by thread_ (deleted when it finishes)
    std::atomic<quint64> generation_{1};
    std::atomic<bool> stop_{false};
    // The cache read the inspector wants next, (layer << 16 | kv_head) + 1, or 0: requests
    // collapse into the latest, and the worker answers between the steps of a run.
    std::atomic<long long> snapshot_request_{0};
    std::atomic<int> pace_ms_{0};
    int outstanding_ = 0;  // busy work posted and not yet done
    bool reported_busy_ = false;
    std::deque<std::pair<quint64, SharedEventBatch>> queue_;
    bool drain_scheduled_ = false;
};

}  // namespace kvs::ui
