#include "session/run_recorder.h"

#include <algorithm>
#include <cstdio>

namespace kvs {
namespace {

// Keeps the StepFinished events of the run (its tokens, labels, top-k lists).
class StepCollector : public EventObserver {
public:
    void on_event(const Event& event) override {
        if (const auto* s = std::get_if<StepFinished>(&event)) steps.push_back(*s);
    }
    std::vector<StepFinished> steps;
};

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

std::string describe_run_settings(const std::string& backend, const SessionOptions& options) {
    std::string s = backend + (options.use_cache ? ", cache" : ", no cache");
    const SamplingOptions& o = options.sampling;
    if (o.temperature <= 0.0f) return s + ", greedy";
    s += ", T " + number(o.temperature);
    if (o.top_k > 0) s += " top-k " + std::to_string(o.top_k);
    if (o.top_p < 1.0f) s += " top-p " + number(o.top_p);
    return s + " seed " + std::to_string(o.seed);
}

Result<RecordedRun> record_run(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                               SessionOptions options, const std::vector<int>& prompt_ids, int max_new_tokens,
                               int top_k, const std::atomic<bool>* cancel,
                               const std::function<void(int steps)>& on_step) {
    if (max_new_tokens < 0) return err("record: the number of new tokens must be >= 0, got ", max_new_tokens);
    options.keep_logits = true;
    options.top_report = std::max(1, top_k);
    options.emit_op_costs = false;
    options.capture = {};
    RecordedRun run;
    run.description = describe_run_settings(backend->name(), options);
    run.model = model->source;
    run.backend = backend->name();
    run.device = backend->device_name();
    run.use_cache = options.use_cache;
    run.sampling = options.sampling;
    run.vocab_size = model->config.vocab_size;
    StepCollector collector;
    GenerationSession session(model, std::move(backend), options, &collector);
    KVS_TRY(session.start_ids(prompt_ids));
    run.prompt = session.tokens();
    for (int id : run.prompt)
        run.prompt_labels.push_back(model->tokenizer ? model->tokenizer->token_label(id) : "<" + std::to_string(id) + ">");

    while (!session.finished() && session.generated() < max_new_tokens) {
        if (cancel && cancel->load()) {
            session.finish("cancelled");
            break;
        }
        const std::size_t before = collector.steps.size();
        if (auto stepped = session.step(); !stepped.ok()) return stepped.error();
        if (collector.steps.size() != before + 1) return err("record: step ", run.steps.size(), " reported no result");
        const StepFinished& done = collector.steps.back();
        RecordedStep r;
        r.token = done.sampled_token;
        r.label = done.sampled_label;
        r.text = done.sampled_text;
        r.logits = session.last_logits();
        r.top = done.top;
        r.top_filtered = done.top_filtered;
        run.steps.push_back(std::move(r));
        if (on_step) on_step(int(run.steps.size()));
    }
    session.finish("limit");
    run.stop_reason = session.stop_reason();
    return run;
}

}  // namespace kvs
