#pragma once
// The engine side of the EngineController: lives on the controller's worker thread and owns
// the model, the backend (inside the session) and the generation session. Every method runs
// on that thread; results leave through queued signals as plain values.
#include <QObject>
#include <atomic>
#include <memory>
#include <string>

#include "core/events.h"
#include "engine_types.h"
#include "experiment_results.h"

#include "kv_snapshot.h"

namespace kvs {
struct Model;
class GenerationSession;
class Debugger;
}  // namespace kvs

namespace kvs::ui {

class EngineWorker : public QObject, public kvs::EventObserver {
    Q_OBJECT
public:
    // `generation` is the controller's current run id; work queued under an older id is skipped
    // and its events are never sent. `stop` asks a running run() to stop after the current step.
    // `snapshot_request` holds the cache read the inspector wants ((layer << 16 | kv_head) + 1),
    // answered by serveKvSnapshot() and between the steps of a run. `pace_ms` is the least
    // time between two steps of run() (0: as fast as the backend goes).
    EngineWorker(const std::atomic<quint64>* generation, std::atomic<bool>* stop,
                 std::atomic<long long>* snapshot_request, const std::atomic<int>* pace_ms);
    ~EngineWorker() override;

    void loadModel(quint64 gen, const QString& path, const QString& tokenizer);
    void loadSynthetic(quint64 gen, const QString& preset, int layers);
    void loadBuilt(quint64 gen, std::shared_ptr<kvs::Model> model);
    void configure(quint64 gen, const RunSettings& settings);
    void prefill(quint64 gen);
    void step(quint64 gen);
    void run(quint64 gen, int max_new);
    void reset(quint64 gen);
    void serveKvSnapshot(quint64 gen);
    // The debugger (runs of one prompt). forceAt goes back to just before `step` (keeping the old
    // continuation as a branch), makes it take `token` (or the tokens of `text` when not empty)
    // and runs those steps.
    void rewind(quint64 gen, int step, bool keep_branch);
    void forceAt(quint64 gen, int step, int token, const QString& text);
    void switchBranch(quint64 gen, int branch);
    void dropBranch(quint64 gen, int branch);
    void addBreakpoint(quint64 gen, const QString& spec);
    void setBreakpointEnabled(quint64 gen, int id, bool enabled);
    void removeBreakpoint(quint64 gen, int id);
    // Records the prompt with each side's settings on backends of its own (the run in the
    // session stays as it is) and sends the comparison.
    void compareRuns(quint64 gen, const CompareSettings& settings);
    // Why only K and V on the run's tokens (the first sequence's), on a backend of its own of the
    // run's kind (the CPU when that fails): the token at `position` replaced, or, with zero_op
    // set, that op of zero_layer zeroed there.
    void perturb(quint64 gen, int position, int zero_layer, const QString& zero_op);
    // The logit lens of `step` of the debugger's active branch, on the run's kind of backend
    // likewise.
    void logitLens(quint64 gen, int step);

    void on_event(const kvs::Event& event) override;

signals:
    void modelLoaded(const kvs::ui::ModelInfo& info);
    void eventsReady(quint64 gen, const kvs::ui::SharedEventBatch& batch);
    void errorOccurred(const QString& message);
    // Something the run will not do as asked (characters of the prompt the tokenizer lacks).
    void warningRaised(const QString& message);
    // After every piece of work posted by the controller, skipped or not (the controller counts
    // outstanding work with it).
    void workDone();
    void backendInfo(const QString& name, const QString& device, const QString& fallback_reason);
    void kvSnapshotReady(quint64 gen, const kvs::ui::KvSnapshot& snapshot);
    void debuggerChanged(quint64 gen, const kvs::ui::DebuggerState& state);
    void comparisonReady(quint64 gen, const kvs::RunComparison& comparison);
    // Steps recorded so far by run `run` (0 = A, 1 = B) of a comparison, of `total`.
    void comparisonProgress(quint64 gen, int run, int steps, int total);
    void perturbationReady(quint64 gen, const kvs::ui::PerturbationResult& result);
    void logitLensReady(quint64 gen, const kvs::ui::LogitLensResult& result);

private:
    // An experiment's backend: the run's kind (the backend that runs, so "cpu" after a fallback)
    // with the run's device, threads and storage.
    std::string experimentBackend() const;
    kvs::BackendOptions experimentOptions() const;
    // Runs `experiment` on the run's kind of backend, and once more on the CPU when that fails
    // there (with a warning naming `what` and why); the CPU's error otherwise.
    template <class Fn>
    auto withExperimentBackend(const QString& what, Fn experiment) -> decltype(experiment(std::string()));
    bool current(quint64 gen) const { return gen == generation_->load(); }
    bool startSession(const RunSettings& settings);
    void runSteps(quint64 gen, int max_new, bool finish_at_limit);
    // Holds a paced run between two steps; false when it was paused or cancelled meanwhile.
    bool waitForPace(quint64 gen);
    void setModel(std::shared_ptr<kvs::Model> model);
    void sendKvSnapshot(quint64 gen, int sequence, int layer, int kv_head);
    void flush();
    void dropSession();
    void sendDebuggerState(quint64 gen);
    // Runs `fn` on the debugger when there is one (an error otherwise), then sends events and state.
    template <typename Fn>
    void withDebugger(quint64 gen, const QString& what, Fn&& fn);

    const std::atomic<quint64>* generation_;
    std::atomic<bool>* stop_;
    std::atomic<long long>* snapshot_request_;
    const std::atomic<int>* pace_ms_;
    std::shared_ptr<const kvs::Model> model_;
    std::unique_ptr<kvs::Debugger> debugger_;        // a run of one prompt
    std::unique_ptr<kvs::GenerationSession> plain_;  // a run of several prompts
    kvs::GenerationSession* session_ = nullptr;      // the one of the two that runs
    QString stop_reason_;                            // why the last run stopped at a breakpoint
    RunSettings settings_;
    bool configured_ = false;
    quint64 batch_gen_ = 0;  // the generation the events being collected belong to
    EventBatch pending_;
};

ModelInfo describe_model(const kvs::Model& model);

}  // namespace kvs::ui
