#include "engine_worker.h"

#include <QElapsedTimer>
#include <QThread>
#include <algorithm>

#include <QCoreApplication>
#include <QDir>

#include "model/prompt_check.h"

#include "model/model.h"
#include "model/model_search_path.h"
#include "model/synthetic_model.h"
#include "session/debugger.h"
#include "session/generation_session.h"
#include "session/run_comparison.h"
#include "session/run_recorder.h"
#include "session/perturbation.h"

namespace kvs::ui {

namespace {
constexpr std::uint64_t kSyntheticSeed = 1234;
}  // namespace

ModelInfo describe_model(const kvs::Model& model) {
    const auto& c = model.config;
    ModelInfo info;
    info.name = QString::fromStdString(c.name);
    info.source = QString::fromStdString(model.source);
    info.format = QString::fromStdString(model.format);
    info.architecture = QString::fromUtf8(to_string(c.arch));
    info.layers = c.n_layers;
    info.heads = c.n_heads;
    info.kv_heads = c.n_kv_heads;
    info.dim = c.dim;
    info.hidden_dim = c.hidden_dim;
    info.head_dim = c.head_dim();
    info.vocab_size = c.vocab_size;
    info.context = c.max_seq_len;
    info.parameters = c.parameter_count();
    info.kv_bytes_per_token_f32 = c.kv_bytes_per_token(4);
    info.has_tokenizer = model.tokenizer != nullptr;
    info.random_weights = model.format == "synthetic";
    info.tokenizer_name = QString::fromStdString(model.tokenizer_name);
    info.tokenizer_note = QString::fromStdString(model.tokenizer_note);
    // A story opening when the vocabulary can spell it; otherwise the empty prompt (makemore's
    // 27 characters have no capitals or spaces: it starts a name from its start token).
    const std::string story = "Once upon a time";
    info.default_prompt = model.tokenizer && kvs::characters_left_out(*model.tokenizer, story).empty()
                              ? QString::fromStdString(story)
                              : QString();
    return info;
}

EngineWorker::EngineWorker(const std::atomic<quint64>* generation, std::atomic<bool>* stop,
                           std::atomic<long long>* snapshot_request, const std::atomic<int>* pace_ms)
    : generation_(generation), stop_(stop), snapshot_request_(snapshot_request), pace_ms_(pace_ms) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::on_event(const kvs::Event& event) {
    pending_.push_back(event);
    // One batch per step: a step's events travel together, so views never see half a step.
    if (std::holds_alternative<kvs::StepFinished>(event)) flush();
}

void EngineWorker::flush() {
    if (pending_.empty()) return;
    auto batch = std::make_shared<EventBatch>();
    batch->swap(pending_);
    if (current(batch_gen_)) emit eventsReady(batch_gen_, std::move(batch));
}

void EngineWorker::setModel(std::shared_ptr<kvs::Model> model) {
    dropSession();
    configured_ = false;
    model_ = std::move(model);
    emit modelLoaded(describe_model(*model_));
}

void EngineWorker::loadModel(quint64 gen, const QString& path, const QString& tokenizer) {
    if (!current(gen)) return;
    kvs::LoadOptions options;
    options.tokenizer_path = tokenizer.toStdString();
    auto model = kvs::load_model(path.toStdString(), options);
    if (!model) {
        emit errorOccurred(tr("Could not load model %1: %2").arg(path, QString::fromStdString(model.message())));
        return;
    }
    setModel(std::move(model.value()));
}

void EngineWorker::loadSynthetic(quint64 gen, const QString& preset, int layers) {
    if (!current(gen)) return;
    // The preset's real vocabulary where it is found (../shared/models beside the working folder
    // or the executable's checkout, $KVSCOPE_MODEL_PATH), else bytes: ModelInfo says which.
    kvs::SyntheticOptions options;
    options.layers = layers;
    options.seed = kSyntheticSeed;
    options.search_dirs = kvs::model_search_dirs(QDir::currentPath().toStdString(),
                                                 QCoreApplication::applicationDirPath().toStdString(),
                                                 qEnvironmentVariable("KVSCOPE_MODEL_PATH").toStdString());
    auto model = kvs::make_synthetic_model(preset.toStdString(), options);
    if (!model) {
        emit errorOccurred(
            tr("Could not build synthetic model '%1': %2").arg(preset, QString::fromStdString(model.message())));
        return;
    }
    setModel(std::move(model.value()));
}

void EngineWorker::loadBuilt(quint64 gen, std::shared_ptr<kvs::Model> model) {
    if (current(gen)) setModel(std::move(model));
}

bool EngineWorker::startSession(const RunSettings& settings) {
    dropSession();  // frees the old backend (and its device memory) before allocating a new one
    if (!model_) {
        emit errorOccurred(tr("No model is loaded: open a model file or pick a synthetic preset first."));
        return false;
    }
    kvs::BackendOptions backend_options;
    backend_options.measure_ops = true;
    backend_options.device = settings.device.toStdString();
    backend_options.kv_dtype = settings.kv_dtype;
    backend_options.threads = settings.threads;  // also when Vulkan falls back to the CPU
    backend_options.block_size = settings.block_size;
    backend_options.prefix_cache = settings.prefix_cache;
    backend_options.max_sequences = 1 + int(settings.more_prompts.size());
    std::string fallback;
    auto backend = kvs::create_backend(settings.backend.toStdString(), model_, backend_options, &fallback);
    if (!backend) {
        emit errorOccurred(tr("Could not create the %1 backend: %2")
                               .arg(settings.backend, QString::fromStdString(backend.message())));
        return false;
    }
    emit backendInfo(QString::fromStdString(backend.value()->name()),
                     QString::fromStdString(backend.value()->device_name()), QString::fromStdString(fallback));

    kvs::SessionOptions options;
    options.sampling = settings.sampling;
    options.use_cache = settings.use_cache;
    options.capture = settings.capture;
    options.top_report = 5;
    options.emit_op_costs = true;
    std::vector<std::string> prompts = {settings.prompt.toStdString()};
    for (const QString& p : settings.more_prompts) prompts.push_back(p.toStdString());
    // One prompt runs under the debugger (rewind, force, branches, breakpoints); several run side
    // by side in a plain session.
    Status status;
    if (prompts.size() == 1) {
        debugger_ = std::make_unique<kvs::Debugger>(model_, std::move(backend.value()), options, this);
        session_ = &debugger_->session();
        status = debugger_->start(prompts.front());
    } else {
        plain_ = std::make_unique<kvs::GenerationSession>(model_, std::move(backend.value()), options, this);
        session_ = plain_.get();
        status = plain_->start_many(prompts);
    }
    if (!status) {
        dropSession();
        emit errorOccurred(tr("Could not start the run: %1").arg(QString::fromStdString(status.message())));
        return false;
    }
    if (model_->tokenizer) {
        const std::string left_out =
            kvs::describe_left_out(kvs::characters_left_out(*model_->tokenizer, settings.prompt.toStdString()));
        if (!left_out.empty()) emit warningRaised(tr("Prompt: %1.").arg(QString::fromStdString(left_out)));
    }
    return true;
}

void EngineWorker::configure(quint64 gen, const RunSettings& settings) {
    if (!current(gen)) return;
    settings_ = settings;
    configured_ = true;
    batch_gen_ = gen;
    startSession(settings_);
    flush();  // RunStarted
    sendDebuggerState(gen);
}

void EngineWorker::reset(quint64 gen) {
    if (!current(gen)) return;
    pending_.clear();
    dropSession();
}

void EngineWorker::prefill(quint64 gen) {
    if (!current(gen)) return;
    batch_gen_ = gen;
    if (!session_ && (!configured_ || !startSession(settings_))) {
        if (!configured_) emit errorOccurred(tr("Nothing to prefill: configure a run first."));
        flush();
        return;
    }
    if (session_->finished()) {
        emit errorOccurred(tr("The run has finished (%1); press Reset to start a new one.")
                               .arg(QString::fromStdString(session_->stop_reason())));
        return;
    }
    if (auto r = session_->prefill(); !r)
        emit errorOccurred(tr("Prefill failed: %1").arg(QString::fromStdString(r.message())));
    flush();
    sendDebuggerState(gen);
}

void EngineWorker::step(quint64 gen) { runSteps(gen, 1, false); }

void EngineWorker::run(quint64 gen, int max_new) { runSteps(gen, max_new, true); }

void EngineWorker::runSteps(quint64 gen, int max_new, bool finish_at_limit) {
    if (!current(gen)) return;
    batch_gen_ = gen;
    if (!session_ && (!configured_ || !startSession(settings_))) {
        if (!configured_) emit errorOccurred(tr("Nothing to run: configure a run first."));
        flush();
        return;
    }
    if (session_->finished()) {
        emit errorOccurred(tr("The run has finished (%1); press Reset to start a new one.")
                               .arg(QString::fromStdString(session_->stop_reason())));
        return;
    }
    // Steps one at a time so that pause (stop_) and cancel (a new generation) take effect
    // between steps; a paused run resumes where it stopped.
    int done = 0;
    bool interrupted = false;
    while (done < max_new) {
        if (stop_->load() || !current(gen)) {
            interrupted = true;
            break;
        }
        Status failed;
        if (debugger_) {
            auto r = debugger_->step(1);
            if (!r) failed = r.error();
            else if (r->cause == kvs::DebugStop::Cause::Breakpoint) {
                stop_reason_ = QString::fromStdString(r->reason);
                ++done;
                interrupted = true;  // paused: Run goes on from here
                break;
            }
        } else if (auto r = session_->step(); !r) {
            failed = r.error();
        }
        if (!failed) {
            emit errorOccurred(tr("Step failed: %1").arg(QString::fromStdString(failed.message())));
            session_->finish("error: " + failed.message());
            interrupted = true;
            break;
        }
        ++done;
        if (snapshot_request_->load() != 0) serveKvSnapshot(gen);
        if (session_->finished()) break;
        if (done < max_new && pace_ms_->load() > 0 && !waitForPace(gen)) {
            interrupted = true;
            break;
        }
    }
    // A run that used its whole budget is over; a paused one can go on.
    if (finish_at_limit && !interrupted && !session_->finished()) session_->finish("limit");
    flush();
    sendDebuggerState(gen);
}

void EngineWorker::dropSession() {
    session_ = nullptr;
    debugger_.reset();
    plain_.reset();
    stop_reason_.clear();
}

void EngineWorker::sendDebuggerState(quint64 gen) {
    if (!current(gen)) return;
    DebuggerState st;
    if (debugger_) {
        st.available = true;
        st.branches = debugger_->branches();
        st.breakpoints = debugger_->breakpoints();
        st.active_branch = debugger_->active_branch();
        st.next_step = debugger_->session().step_index();
        st.stop = stop_reason_;
    }
    emit debuggerChanged(gen, st);
}

template <typename Fn>
void EngineWorker::withDebugger(quint64 gen, const QString& what, Fn&& fn) {
    if (!current(gen)) return;
    batch_gen_ = gen;
    if (!debugger_) {
        emit errorOccurred(tr("%1: the debugger works on runs of one prompt; start one first.").arg(what));
        return;
    }
    stop_reason_.clear();
    if (Status s = fn(*debugger_); !s) emit errorOccurred(tr("%1: %2").arg(what, QString::fromStdString(s.message())));
    flush();
    sendDebuggerState(gen);
}

void EngineWorker::rewind(quint64 gen, int step, bool keep_branch) {
    withDebugger(gen, tr("Rewind"), [&](kvs::Debugger& d) { return d.rewind(step, keep_branch); });
}

void EngineWorker::forceAt(quint64 gen, int step, int token, const QString& text) {
    withDebugger(gen, tr("Force"), [&](kvs::Debugger& d) -> Status {
        KVS_TRY(d.rewind(step, true));
        int steps = 1;
        if (text.isEmpty()) {
            KVS_TRY(d.force(token));
        } else {
            KVS_ASSIGN(steps, d.force_text(text.toStdString()));
        }
        KVS_ASSIGN(kvs::DebugStop stop, d.step(steps));
        if (stop.cause == kvs::DebugStop::Cause::Breakpoint) stop_reason_ = QString::fromStdString(stop.reason);
        return {};
    });
}

void EngineWorker::switchBranch(quint64 gen, int branch) {
    withDebugger(gen, tr("Switch branch"), [&](kvs::Debugger& d) { return d.switch_branch(branch); });
}

void EngineWorker::dropBranch(quint64 gen, int branch) {
    withDebugger(gen, tr("Drop branch"), [&](kvs::Debugger& d) { return d.drop_branch(branch); });
}

void EngineWorker::addBreakpoint(quint64 gen, const QString& spec) {
    withDebugger(gen, tr("Breakpoint"), [&](kvs::Debugger& d) -> Status {
        KVS_ASSIGN(kvs::Breakpoint b, kvs::parse_breakpoint(spec.trimmed().toStdString()));
        d.add_breakpoint(b);
        return {};
    });
}

void EngineWorker::setBreakpointEnabled(quint64 gen, int id, bool enabled) {
    withDebugger(gen, tr("Breakpoint"), [&](kvs::Debugger& d) { return d.enable_breakpoint(id, enabled); });
}

void EngineWorker::removeBreakpoint(quint64 gen, int id) {
    withDebugger(gen, tr("Breakpoint"), [&](kvs::Debugger& d) { return d.remove_breakpoint(id); });
}

void EngineWorker::compareRuns(quint64 gen, const CompareSettings& settings) {
    if (!current(gen)) return;
    if (!model_) {
        emit errorOccurred(tr("Compare: no model is loaded."));
        return;
    }
    const std::vector<int> prompt =
        model_->tokenizer ? model_->tokenizer->encode_prompt(settings.prompt.toStdString()) : std::vector<int>{};
    kvs::RecordedRun runs[2];
    const CompareSide* sides[2] = {&settings.a, &settings.b};
    for (int k = 0; k < 2; ++k) {
        const QString which = k == 0 ? QStringLiteral("A") : QStringLiteral("B");
        kvs::BackendOptions options;
        options.kv_dtype = sides[k]->kv_dtype;
        std::string fallback;
        auto backend = kvs::create_backend(sides[k]->backend.toStdString(), model_, options, &fallback);
        if (!backend) {
            emit errorOccurred(tr("Compare, run %1: %2").arg(which, QString::fromStdString(backend.message())));
            return;
        }
        if (!fallback.empty()) emit warningRaised(tr("Compare, run %1: %2").arg(which, QString::fromStdString(fallback)));
        kvs::SessionOptions session;
        session.sampling = sides[k]->sampling;
        session.use_cache = sides[k]->use_cache;
        QElapsedTimer since_report;
        since_report.start();
        const auto progress = [&](int steps) {
            if (steps < settings.max_new && since_report.elapsed() < 100) return;
            since_report.restart();
            emit comparisonProgress(gen, k, steps, settings.max_new);
        };
        auto run = kvs::record_run(model_, std::move(backend.value()), session, prompt, settings.max_new, settings.top_k,
                                   stop_, progress);
        if (!run) {
            emit errorOccurred(tr("Compare, run %1: %2").arg(which, QString::fromStdString(run.message())));
            return;
        }
        if (run.value().stop_reason == "cancelled") {
            emit warningRaised(tr("Compare: cancelled during run %1, after %2 steps.").arg(which).arg(run.value().steps.size()));
            return;
        }
        runs[k] = std::move(run.value());
        if (!current(gen)) return;  // another model or run came meanwhile
    }
    auto comparison = kvs::compare_runs(runs[0], runs[1]);
    if (!comparison) {
        emit errorOccurred(tr("Compare: %1").arg(QString::fromStdString(comparison.message())));
        return;
    }
    emit comparisonReady(gen, comparison.value());
}

bool EngineWorker::waitForPace(quint64 gen) {
    // The step shows now, on its own, then the run holds until the pace allows the next one.
    // The pace is read again while waiting, so a change applies to the step being waited for;
    // pause, cancel and cache reads are answered within a slice.
    flush();
    QElapsedTimer waited;
    waited.start();
    constexpr qint64 kSliceMs = 10;
    for (qint64 left; (left = pace_ms_->load() - waited.elapsed()) > 0;) {
        if (stop_->load() || !current(gen)) return false;
        if (snapshot_request_->load() != 0) serveKvSnapshot(gen);
        QThread::msleep(static_cast<unsigned long>(std::min(left, kSliceMs)));
    }
    return !stop_->load() && current(gen);
}

void EngineWorker::serveKvSnapshot(quint64 gen) {
    const long long code = snapshot_request_->exchange(0);
    if (code == 0) return;  // answered already (between the steps of a run)
    sendKvSnapshot(gen, int(((code - 1) >> 32) & 0xffff), int(((code - 1) >> 16) & 0xffff), int((code - 1) & 0xffff));
}

void EngineWorker::sendKvSnapshot(quint64 gen, int sequence, int layer, int kv_head) {
    if (!current(gen) || !session_) return;
    KvSnapshot snapshot;
    snapshot.sequence = sequence;
    snapshot.layer = layer;
    snapshot.kv_head = kv_head;
    const auto& backend = session_->backend();
    if (!backend.kv().contains(sequence)) return;  // a sequence of an earlier run
    snapshot.length = backend.kv().length(sequence);
    snapshot.head_dim = backend.kv_layout().head_dim;
    if (auto status = backend.read_kv(sequence, layer, kv_head, snapshot.keys, snapshot.values); !status) {
        emit errorOccurred(tr("Could not read the KV cache: %1").arg(QString::fromStdString(status.message())));
        return;
    }
    emit kvSnapshotReady(gen, snapshot);
}

namespace {

QString label_of(const kvs::Model& m, int id) {
    return m.tokenizer ? QString::fromStdString(m.tokenizer->token_label(id)) : QString::number(id);
}

}  // namespace

std::string EngineWorker::experimentBackend() const { return session_ ? session_->backend().name() : "cpu"; }

kvs::BackendOptions EngineWorker::experimentOptions() const {
    kvs::BackendOptions o;
    o.device = settings_.device.toStdString();
    o.threads = settings_.threads;
    o.kv_dtype = settings_.kv_dtype;
    return o;
}

template <class Fn>
auto EngineWorker::withExperimentBackend(const QString& what, Fn experiment) -> decltype(experiment(std::string())) {
    const std::string where = experimentBackend();
    auto result = experiment(where);
    if (result || where == "cpu") return result;
    emit warningRaised(tr("%1 on %2: %3; it ran on the CPU instead.")
                           .arg(what, QString::fromStdString(where), QString::fromStdString(result.message())));
    return experiment("cpu");
}

void EngineWorker::perturb(quint64 gen, int position, int zero_layer, const QString& zero_op) {
    if (!current(gen)) return;
    if (!session_ || session_->tokens().empty()) {
        emit errorOccurred(tr("Why only K and V: start a run first; the experiment runs on its tokens."));
        return;
    }
    const std::vector<int> tokens = session_->tokens();
    auto report = withExperimentBackend(tr("Why only K and V"), [&](const std::string& where) -> kvs::Result<kvs::PerturbationReport> {
        kvs::BackendOptions o = experimentOptions();
        o.kv_capacity = int(tokens.size());
        o.block_size = 0;
        KVS_ASSIGN(std::unique_ptr<kvs::Backend> backend, kvs::create_backend(where, model_, o, nullptr));
        if (zero_op.isEmpty()) return kvs::perturb_token(*backend, tokens, position);
        kvs::ActivationPatch patch{zero_layer, kvs::TapPoint::FfnOutput, position};
        kvs::tap_from_string(zero_op.toStdString(), patch.point);
        return kvs::zero_activation(*backend, tokens, patch);
    });
    if (!report) {
        emit errorOccurred(tr("Why only K and V: %1").arg(QString::fromStdString(report.message())));
        return;
    }
    PerturbationResult result;
    result.report = std::move(report).value();
    for (int id : tokens) result.labels << label_of(*model_, id);
    if (result.report.kind == kvs::PerturbationReport::Kind::Token) {
        result.original = label_of(*model_, result.report.original_token);
        result.replacement = label_of(*model_, result.report.replacement_token);
    }
    emit perturbationReady(gen, result);
}

void EngineWorker::logitLens(quint64 gen, int step) {
    if (!current(gen)) return;
    if (!debugger_) {
        emit errorOccurred(tr("Logit lens: the debugger works on runs of one prompt; start one first."));
        return;
    }
    auto lens = withExperimentBackend(tr("Logit lens"), [&](const std::string& where) {
        return debugger_->logit_lens(step, 5, where, experimentOptions());
    });
    if (!lens) {
        emit errorOccurred(tr("Logit lens: %1").arg(QString::fromStdString(lens.message())));
        return;
    }
    LogitLensResult result;
    result.step = step;
    result.lens = std::move(lens).value();
    result.final_label = label_of(*model_, result.lens.final_token);
    for (const kvs::LensLayer& l : result.lens.layers) {
        QStringList labels;
        for (const kvs::LensToken& t : l.top) labels << label_of(*model_, t.id);
        result.top_labels.push_back(labels);
    }
    emit logitLensReady(gen, result);
}

}  // namespace kvs::ui
