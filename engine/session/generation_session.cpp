#include "session/generation_session.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/cost_model.h"

namespace kvs {

GenerationSession::GenerationSession(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                                     SessionOptions options, EventObserver* observer)
    : model_(std::move(model)),
      backend_(std::move(backend)),
      options_(std::move(options)),
      observer_(observer),
      sampler_(options_.sampling) {}

void GenerationSession::publish(const Event& e) {
    if (observer_) observer_->on_event(e);
}

Status GenerationSession::start(std::string_view prompt) {
    if (!model_->tokenizer) return err("model '", model_->source, "' has no tokenizer: give token ids instead of text");
    return start_ids(model_->tokenizer->encode_prompt(prompt));
}

Status GenerationSession::start_ids(std::vector<int> prompt_ids) {
    const int capacity = backend_->kv_layout().capacity;
    if (prompt_ids.empty()) return err("the prompt is empty and the model adds no BOS token: give at least one token");
    if (int(prompt_ids.size()) > capacity)
        return err("the prompt is ", prompt_ids.size(), " tokens long but the context holds only ", capacity,
                   " positions");
    for (int id : prompt_ids)
        if (id < 0 || id >= model_->config.vocab_size)
            return err("prompt token id ", id, " is outside the vocabulary (0..", model_->config.vocab_size - 1, ")");

    backend_->truncate_cache(0);
    tokens_ = std::move(prompt_ids);
    prompt_length_ = int(tokens_.size());
    step_index_ = 0;
    prefilled_ = finished_ = run_finished_emitted_ = false;
    stop_reason_.clear();
    elapsed_ms_ = 0.0;
    sampler_ = Sampler(options_.sampling);
    full_attention_.clear();

    RunStarted ev;
    ev.config = model_->config;
    ev.backend = backend_->name();
    ev.device = backend_->device_name();
    ev.use_cache = options_.use_cache;
    ev.kv_layout = backend_->kv_layout();
    ev.prompt_tokens = tokens_;
    for (int id : tokens_) ev.prompt_labels.push_back(label(id));
    publish(ev);
    return {};
}

std::string GenerationSession::label(int id) const {
    return model_->tokenizer ? model_->tokenizer->token_label(id) : "<" + std::to_string(id) + ">";
}

Result<StepResult> GenerationSession::prefill() {
    if (tokens_.empty()) return err("prefill: no prompt (call start first)");
    if (prefilled_) return err("prefill: the prompt has already been processed");
    return compute_step(Phase::Prefill);
}

Result<StepResult> GenerationSession::step() {
    if (tokens_.empty()) return err("step: no prompt (call start first)");
    if (finished_) return err("step: the run has finished (", stop_reason_, ")");
    if (!prefilled_) return compute_step(Phase::Prefill);
    return compute_step(Phase::Decode);
}

Status GenerationSession::run(int max_new_tokens, const std::atomic<bool>* cancel) {
    while (!finished_ && generated() < max_new_tokens) {
        if (cancel && cancel->load()) {
            finish("cancelled");
            return {};
        }
        auto r = step();
        if (!r.ok()) {
            finish("error: " + r.message());
            return r.error();
        }
    }
    finish(finished_ ? stop_reason_ : "limit");
    return {};
}

void GenerationSession::finish(const std::string& reason) {
    if (run_finished_emitted_) return;
    run_finished_emitted_ = true;
    finished_ = true;
    if (stop_reason_.empty()) stop_reason_ = reason;
    RunFinished ev;
    ev.steps = step_index_;
    ev.generated_tokens = generated();
    ev.stop_reason = stop_reason_;
    ev.wall_ms = elapsed_ms_;
    publish(ev);
}

std::string GenerationSession::generated_text() const {
    std::string out;
    if (!model_->tokenizer) return out;
    for (std::size_t i = std::size_t(prompt_length_); i < tokens_.size(); ++i) {
        if (is_stop_token(tokens_[i])) break;
        out += model_->tokenizer->decode_piece(tokens_[i - 1], tokens_[i]);
    }
    return out;
}

bool GenerationSession::is_stop_token(int id) const {
    return std::find(model_->stop_tokens.begin(), model_->stop_tokens.end(), id) != model_->stop_tokens.end();
}

Result<StepResult> GenerationSession::compute_step(Phase phase) {
    const auto t0 = std::chrono::steady_clock::now();
    const int len = int(tokens_.size());

    // Cached decode feeds only the newest token; prefill and uncached steps feed everything.
    int first_pos = 0;
    std::vector<int> input;
    if (phase == Phase::Decode && options_.use_cache) {
        first_pos = len - 1;
        input.assign(1, tokens_.back());
    } else {
        input = tokens_;
        backend_->truncate_cache(0);
    }

    StepStarted started;
    started.step = step_index_;
    started.phase = phase;
    started.first_pos = first_pos;
    started.input_tokens = input;
    publish(started);

    ForwardOutput out;
    KVS_TRY(backend_->forward(input, first_pos, false, options_.capture, out));
    const std::span<const float> logits(out.logits.data() + std::size_t(out.logit_rows - 1) * model_->config.vocab_size,
                                        std::size_t(model_->config.vocab_size));
    const int token = sampler_.sample(logits);
    const auto top = Sampler::top_probabilities(logits, options_.top_report);
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    elapsed_ms_ += wall_ms;

    emit_kv_events(first_pos, int(input.size()));
    emit_attention_events(out);
    if (options_.emit_op_costs) emit_cost_events(first_pos, int(input.size()), out);

    StepFinished done;
    done.step = step_index_;
    done.phase = phase;
    done.first_pos = first_pos;
    done.n_positions = int(input.size());
    done.input_tokens = std::move(input);
    done.sampled_token = token;
    done.sampled_label = label(token);
    done.sampled_text = is_stop_token(token) || !model_->tokenizer ? "" : model_->tokenizer->decode_piece(tokens_.back(), token);
    for (const auto& p : top) done.top.push_back({p.id, p.probability, label(p.id)});
    done.wall_ms = wall_ms;
    done.device_ms = out.device_ms;

    tokens_.push_back(token);
    prefilled_ = true;
    ++step_index_;
    if (is_stop_token(token)) {
        finished_ = true;
        stop_reason_ = "eos";
    } else if (int(tokens_.size()) > backend_->kv_layout().capacity) {
        // The sampled token would need position len, past the last cache slot.
        finished_ = true;
        stop_reason_ = "context";
    }
    done.stops = finished_;
    publish(done);
    return StepResult{token, finished_};
}

void GenerationSession::emit_kv_events(int first_pos, int n_positions) {
    if (!observer_) return;
    const KvLayout& layout = backend_->kv_layout();
    const int length = backend_->cache_length();
    for (int l = 0; l < layout.n_layers; ++l) {
        KvAppend ev;
        ev.step = step_index_;
        ev.layer = l;
        ev.first_pos = first_pos;
        ev.n_positions = n_positions;
        ev.bytes_written = layout.layer_bytes_for(n_positions);
        ev.layer_bytes_used = layout.layer_bytes_for(length);
        ev.layer_bytes_allocated = layout.layer_bytes_for(layout.capacity);
        ev.total_bytes_used = layout.bytes_for(length);
        ev.total_bytes_allocated = layout.bytes_allocated();
        publish(ev);
    }
}

void GenerationSession::emit_attention_events(const ForwardOutput& out) {
    if (!observer_) return;
    const bool full = options_.capture.mode == AttentionCapture::Mode::Full && options_.use_cache;
    for (const auto& rows : out.attention) {
        AttentionEvent ev;
        ev.step = step_index_;
        ev.layer = rows.layer;
        ev.head = rows.head;
        ev.kv_head = rows.head / model_->config.gqa_group();
        if (full) {
            // Keep every row seen so far and hand out the whole causal matrix [keys, keys].
            auto& m = full_attention_[{rows.layer, rows.head}];
            const int keys = rows.n_keys;
            std::vector<float> grown(std::size_t(keys) * keys, 0.0f);
            const int old = rows.first_query;
            for (int q = 0; q < old && !m.empty(); ++q)
                std::copy_n(m.begin() + std::ptrdiff_t(q) * old, old, grown.begin() + std::ptrdiff_t(q) * keys);
            for (int q = 0; q < rows.n_queries; ++q)
                std::copy_n(rows.probs.begin() + std::ptrdiff_t(q) * keys, keys,
                            grown.begin() + std::ptrdiff_t(old + q) * keys);
            m = std::move(grown);
            ev.first_query = 0;
            ev.n_queries = keys;
            ev.n_keys = keys;
            ev.probs = m;
        } else {
            ev.first_query = rows.first_query;
            ev.n_queries = rows.n_queries;
            ev.n_keys = rows.n_keys;
            ev.probs = rows.probs;
        }
        publish(ev);
    }
}

void GenerationSession::emit_cost_events(int first_pos, int n_positions, const ForwardOutput& out) {
    if (!observer_) return;
    CostParams p;
    p.first_pos = first_pos;
    p.n_tokens = n_positions;
    p.weight_bytes = backend_->weight_bytes();
    p.kv_bytes = bytes_per_element(backend_->kv_layout().dtype);
    std::map<std::pair<int, int>, double> measured;
    for (const auto& t : out.op_times) measured[{t.layer, int(t.op)}] += t.ms;
    for (const auto& c : forward_costs(model_->config, p)) {
        OpCostEvent ev;
        ev.step = step_index_;
        ev.layer = c.layer;
        ev.op = c.op;
        ev.flops = c.flops;
        ev.bytes_read = c.bytes_read;
        ev.bytes_written = c.bytes_written;
        if (auto it = measured.find({c.layer, int(c.op)}); it != measured.end()) ev.measured_ms = it->second;
        publish(ev);
    }
}

}  // namespace kvs
