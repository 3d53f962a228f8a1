#include "engine_controller.h"

#include <QTimer>
#include <algorithm>
#include <exception>
#include <new>

namespace kvs::ui {

namespace {
// The longest a slice of event delivery may hold the GUI thread before yielding to it.
constexpr qint64 kDrainBudgetMs = 4;
}  // namespace

void register_engine_metatypes() {
    qRegisterMetaType<kvs::ui::ModelInfo>("kvs::ui::ModelInfo");
    qRegisterMetaType<kvs::ui::EventBatch>("kvs::ui::EventBatch");
    qRegisterMetaType<kvs::ui::SharedEventBatch>("kvs::ui::SharedEventBatch");
    qRegisterMetaType<kvs::ui::KvSnapshot>("kvs::ui::KvSnapshot");
    qRegisterMetaType<kvs::ui::DebuggerState>("kvs::ui::DebuggerState");
    qRegisterMetaType<kvs::ui::CompareSettings>("kvs::ui::CompareSettings");
    qRegisterMetaType<kvs::RunComparison>("kvs::RunComparison");
    qRegisterMetaType<kvs::ui::PerturbationResult>("kvs::ui::PerturbationResult");
    qRegisterMetaType<kvs::ui::LogitLensResult>("kvs::ui::LogitLensResult");
}

EngineController::EngineController(QObject* parent) : QObject(parent) {
    register_engine_metatypes();
    thread_.setObjectName("kvscope-engine");
    worker_ = new EngineWorker(&generation_, &stop_, &snapshot_request_, &pace_ms_);
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);

    // Worker -> GUI: queued because the worker lives on another thread.
    connect(worker_, &EngineWorker::modelLoaded, this, &EngineController::modelLoaded);
    connect(worker_, &EngineWorker::errorOccurred, this, &EngineController::errorOccurred);
    connect(worker_, &EngineWorker::warningRaised, this, &EngineController::warningRaised);
    connect(worker_, &EngineWorker::backendInfo, this, &EngineController::backendInfo);
    connect(worker_, &EngineWorker::workDone, this, &EngineController::onWorkDone);
    connect(worker_, &EngineWorker::eventsReady, this, &EngineController::onBatch);
    connect(worker_, &EngineWorker::kvSnapshotReady, this, [this](quint64 gen, const KvSnapshot& snapshot) {
        if (gen == generation_.load()) emit kvSnapshotReady(snapshot);
    });
    connect(worker_, &EngineWorker::debuggerChanged, this, [this](quint64 gen, const DebuggerState& state) {
        if (gen == generation_.load()) emit debuggerChanged(state);
    });
    connect(worker_, &EngineWorker::comparisonProgress, this, [this](quint64 gen, int run, int steps, int total) {
        if (gen == generation_.load()) emit comparisonProgress(run, steps, total);
    });
    connect(worker_, &EngineWorker::comparisonReady, this, [this](quint64 gen, const kvs::RunComparison& c) {
        if (gen == generation_.load()) emit comparisonReady(c);
    });
    connect(worker_, &EngineWorker::perturbationReady, this, [this](quint64 gen, const PerturbationResult& result) {
        if (gen == generation_.load()) emit perturbationReady(result);
    });
    connect(worker_, &EngineWorker::logitLensReady, this, [this](quint64 gen, const LogitLensResult& result) {
        if (gen == generation_.load()) emit logitLensReady(result);
    });
    thread_.start();
}

EngineController::~EngineController() {
    // Shutting down is the one place the GUI waits: the flags make a running run stop after
    // its current step, so the wait is one step long.
    stop_.store(true);
    generation_.fetch_add(1);
    thread_.quit();
    thread_.wait();
}

namespace {

// The engine reports errors as values; this is the net under the worker's work so that nothing
// thrown (std::bad_alloc from an allocation no check foresaw) unwinds into Qt's event loop,
// which would end the application. It becomes the same message any other error gives.
template <typename Fn>
void run_guarded(EngineWorker* w, Fn& fn) {
    try {
        fn();
    } catch (const std::bad_alloc&) {
        emit w->errorOccurred(EngineWorker::tr("Out of memory: the last request was abandoned."));
    } catch (const std::exception& e) {
        emit w->errorOccurred(EngineWorker::tr("Unexpected error: %1").arg(QString::fromUtf8(e.what())));
    }
}

}  // namespace

template <typename Fn>
void EngineController::post(Fn&& fn, bool counts_as_busy) {
    if (!counts_as_busy) {
        QMetaObject::invokeMethod(
            worker_, [w = worker_, fn = std::forward<Fn>(fn)]() mutable { run_guarded(w, fn); }, Qt::QueuedConnection);
        return;
    }
    ++outstanding_;
    updateBusy();
    QMetaObject::invokeMethod(
        worker_,
        [w = worker_, fn = std::forward<Fn>(fn)]() mutable {
            run_guarded(w, fn);
            emit w->workDone();
        },
        Qt::QueuedConnection);
}

quint64 EngineController::newGeneration() {
    queue_.clear();
    const quint64 gen = generation_.fetch_add(1) + 1;
    updateBusy();
    return gen;
}

void EngineController::loadModel(const QString& path, const QString& tokenizer) {
    const quint64 gen = newGeneration();
    post([w = worker_, gen, path, tokenizer] { w->loadModel(gen, path, tokenizer); });
}

void EngineController::loadBuiltModel(std::shared_ptr<kvs::Model> model) {
    const quint64 gen = newGeneration();
    post([w = worker_, gen, model = std::move(model)]() mutable { w->loadBuilt(gen, std::move(model)); });
}

void EngineController::loadSynthetic(const QString& preset, int layers) {
    const quint64 gen = newGeneration();
    post([w = worker_, gen, preset, layers] { w->loadSynthetic(gen, preset, layers); });
}

void EngineController::configure(const QString& prompt, const kvs::SamplingOptions& sampling,
                                 const QString& backend, bool use_cache, const kvs::AttentionCapture& capture) {
    RunSettings settings;
    settings.prompt = prompt;
    settings.sampling = sampling;
    settings.backend = backend;
    settings.use_cache = use_cache;
    settings.capture = capture;
    configure(settings);
}

void EngineController::configure(const RunSettings& settings) {
    const quint64 gen = newGeneration();  // a run of the previous generation stops after its step
    post([w = worker_, gen, settings] { w->configure(gen, settings); });
}

void EngineController::prefill() {
    const quint64 gen = generation_.load();
    post([w = worker_, gen] { w->prefill(gen); });
}

void EngineController::step() {
    const quint64 gen = generation_.load();
    stop_.store(false);
    post([w = worker_, gen] { w->step(gen); });
}

void EngineController::run(int max_new) {
    const quint64 gen = generation_.load();
    stop_.store(false);
    post([w = worker_, gen, max_new] { w->run(gen, max_new); });
}

void EngineController::pause() { stop_.store(true); }

void EngineController::reset() {
    const quint64 gen = newGeneration();
    post([w = worker_, gen] { w->reset(gen); });
}

void EngineController::cancel() { newGeneration(); }

void EngineController::requestKvSnapshot(int layer, int kv_head, int sequence) {
    const quint64 gen = generation_.load();
    // A newer request replaces one not answered yet; only a first one needs posting. (A running
    // run answers between its steps, so requests never pile up behind it.)
    const long long code =
        ((static_cast<long long>(sequence & 0xffff) << 32) | (layer & 0xffff) << 16 | (kv_head & 0xffff)) + 1;
    if (snapshot_request_.exchange(code) != 0) return;
    // A read of the cache for a view, not a change of the run: it does not make the window busy.
    post([w = worker_, gen] { w->serveKvSnapshot(gen); }, false);
}

void EngineController::requestPerturbation(int position, int zero_layer, const QString& zero_op) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, position, zero_layer, zero_op] { w->perturb(gen, position, zero_layer, zero_op); });
}

void EngineController::requestLogitLens(int step) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, step] { w->logitLens(gen, step); });
}

void EngineController::rewind(int step, bool keep_branch) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, step, keep_branch] { w->rewind(gen, step, keep_branch); });
}

void EngineController::forceAt(int step, int token, const QString& text) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, step, token, text] { w->forceAt(gen, step, token, text); });
}

void EngineController::switchBranch(int branch) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, branch] { w->switchBranch(gen, branch); });
}

void EngineController::dropBranch(int branch) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, branch] { w->dropBranch(gen, branch); });
}

void EngineController::addBreakpoint(const QString& spec) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, spec] { w->addBreakpoint(gen, spec); });
}

void EngineController::setBreakpointEnabled(int id, bool enabled) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, id, enabled] { w->setBreakpointEnabled(gen, id, enabled); });
}

void EngineController::removeBreakpoint(int id) {
    const quint64 gen = generation_.load();
    post([w = worker_, gen, id] { w->removeBreakpoint(gen, id); });
}

void EngineController::compareRuns(const CompareSettings& settings) {
    const quint64 gen = generation_.load();
    stop_.store(false);
    post([w = worker_, gen, settings] { w->compareRuns(gen, settings); });
}

void EngineController::cancelComparison() { stop_.store(true); }

void EngineController::onWorkDone() {
    outstanding_ = std::max(0, outstanding_ - 1);
    updateBusy();
}

void EngineController::updateBusy() {
    // Busy until the worker is idle and every batch it sent has reached the views.
    const bool busy = outstanding_ > 0 || !queue_.empty();
    if (busy == reported_busy_) return;
    reported_busy_ = busy;
    emit busyChanged(busy);
}

void EngineController::onBatch(quint64 gen, const SharedEventBatch& batch) {
    if (gen != generation_.load()) return;  // a superseded run: its results are stale
    queue_.emplace_back(gen, batch);
    if (!drain_scheduled_) {
        drain_scheduled_ = true;
        QTimer::singleShot(0, this, &EngineController::drain);
    }
    updateBusy();
}

void EngineController::drain() {
    // A fast model produces batches faster than views can take them one event-loop turn at a
    // time; deliver them in slices of at most kDrainBudgetMs so input and painting go on.
    drain_scheduled_ = false;
    QElapsedTimer slice;
    slice.start();
    while (!queue_.empty() && slice.elapsed() < kDrainBudgetMs) {
        auto [gen, batch] = std::move(queue_.front());
        queue_.pop_front();
        if (gen == generation_.load() && batch) emit eventsReady(*batch);
    }
    if (!queue_.empty()) {
        drain_scheduled_ = true;
        QTimer::singleShot(0, this, &EngineController::drain);
    }
    updateBusy();
}

}  // namespace kvs::ui
