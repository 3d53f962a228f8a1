#include "session/generation_session.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/cost_model.h"

namespace kvs {

GenerationSession::GenerationSession(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend,
                                     SessionOptions options, EventObserver* observer)
    : model_(std::move(model)), backend_(std::move(backend)), options_(std::move(options)), observer_(observer) {}

void GenerationSession::publish(const Event& e) {
    if (observer_) observer_->on_event(e);
}

// The pool's block events since the last call, stamped with the current step.
void GenerationSession::publish_block_events() {
    for (BlockEvent e : backend_->kv().take_events()) {
        e.step = step_index_;
        publish(e);
    }
}

Status GenerationSession::start(std::string_view prompt) {
    if (!model_->tokenizer) return err("model '", model_->source, "' has no tokenizer: give token ids instead of text");
    return start_ids(model_->tokenizer->encode_prompt(prompt));
}

Status GenerationSession::start_ids(std::vector<int> prompt_ids) {
    std::vector<std::vector<int>> prompts;
    prompts.push_back(std::move(prompt_ids));
    return start_ids_many(std::move(prompts));
}

Status GenerationSession::start_many(const std::vector<std::string>& prompts) {
    if (!model_->tokenizer) return err("model '", model_->source, "' has no tokenizer: give token ids instead of text");
    std::vector<std::vector<int>> ids;
    for (const auto& p : prompts) ids.push_back(model_->tokenizer->encode_prompt(p));
    return start_ids_many(std::move(ids));
}

Status GenerationSession::start_ids_many(std::vector<std::vector<int>> prompts) {
    const int capacity = backend_->kv_layout().capacity;
    if (prompts.empty()) return err("no prompts given");
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const std::string which = prompts.size() > 1 ? " (prompt " + std::to_string(i + 1) + ")" : "";
        if (prompts[i].empty())
            return err("the prompt is empty and the model adds no BOS token: give at least one token", which);
        if (int(prompts[i].size()) > capacity)
            return err("the prompt is ", prompts[i].size(), " tokens long but the context holds only ", capacity,
                       " positions", which);
        for (int id : prompts[i])
            if (id < 0 || id >= model_->config.vocab_size)
                return err("prompt token id ", id, " is outside the vocabulary (0..", model_->config.vocab_size - 1, ")",
                           which);
    }

    KvPool& kv = backend_->kv();
    kv.set_recording(false);
    kv.clear_sequences();  // the previous run's sequences; cached prefixes stay
    kv.set_recording(observer_ != nullptr);
    seqs_.clear();
    for (auto& p : prompts) {
        Sequence s{kv.create_sequence(), std::move(p), 0, 0, false, false, {}, Sampler(options_.sampling), {}, {}, -1};
        s.prompt_length = int(s.tokens.size());
        seqs_.push_back(std::move(s));
    }
    step_index_ = 0;
    prefilled_ = finished_ = run_finished_emitted_ = false;
    stop_reason_.clear();
    elapsed_ms_ = 0.0;

    RunStarted ev;
    ev.config = model_->config;
    ev.backend = backend_->name();
    ev.device = backend_->device_name();
    ev.use_cache = options_.use_cache;
    ev.prefix_cache = kv.prefix_caching() && options_.use_cache;
    ev.kv_layout = backend_->kv_layout();
    ev.cached_blocks = kv.allocator().cached_blocks();
    for (const Sequence& s : seqs_) {
        SequenceStart q{s.id, s.tokens, {}};
        for (int id : s.tokens) q.prompt_labels.push_back(label(id));
        ev.sequences.push_back(std::move(q));
    }
    ev.prompt_tokens = ev.sequences.front().prompt_tokens;
    ev.prompt_labels = ev.sequences.front().prompt_labels;
    publish(ev);
    return {};
}

std::string GenerationSession::label(int id) const {
    return model_->tokenizer ? model_->tokenizer->token_label(id) : "<" + std::to_string(id) + ">";
}

GenerationSession::Sequence* GenerationSession::find(int id) {
    for (Sequence& s : seqs_)
        if (s.id == id) return &s;
    return nullptr;
}

// With the prefix cache, a prompt starts from the longest prefix an earlier sequence left in the
// pool; only the rest is computed.
void GenerationSession::attach_prefix(Sequence& s) {
    const PrefixMatch m = backend_->kv().attach_prefix(s.id, s.tokens);
    s.reused = m.tokens;
    publish_block_events();
    if (m.tokens == 0) return;
    PrefixHit hit;
    hit.step = step_index_;
    hit.sequence = s.id;
    hit.prompt_tokens = s.prompt_length;
    hit.reused_tokens = m.tokens;
    hit.full_blocks = m.full_blocks;
    hit.partial_tokens = m.partial_tokens;
    CostParams whole, rest;
    whole.n_tokens = s.prompt_length;
    rest.first_pos = m.tokens;
    rest.n_tokens = s.prompt_length - m.tokens;
    hit.flops_saved = total(forward_costs(model_->config, whole)).flops - total(forward_costs(model_->config, rest)).flops;
    publish(hit);
}

Result<StepResult> GenerationSession::prefill() {
    if (seqs_.empty()) return err("prefill: no prompt (call start first)");
    if (prefilled_) return err("prefill: the prompts have already been processed");
    StepResult result;
    if (options_.use_cache && backend_->kv().prefix_caching()) {
        // One pass per prompt, in order: each can reuse the blocks of those before it.
        for (std::size_t i = 0; i < seqs_.size(); ++i) {
            attach_prefix(seqs_[i]);
            KVS_ASSIGN(StepResult r, compute_step(Phase::Prefill, {i}));
            if (i == 0) result = r;
            else result.tokens.push_back(r.tokens.front());
        }
    } else {
        std::vector<std::size_t> all(seqs_.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        KVS_ASSIGN(result, compute_step(Phase::Prefill, all));
    }
    prefilled_ = true;
    ++step_index_;
    result.stopped = finished_;
    return result;
}

Result<StepResult> GenerationSession::step() {
    if (seqs_.empty()) return err("step: no prompt (call start first)");
    if (finished_) return err("step: the run has finished (", stop_reason_, ")");
    if (!prefilled_) return prefill();
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < seqs_.size(); ++i)
        if (!seqs_[i].done) live.push_back(i);
    KVS_ASSIGN(StepResult r, compute_step(Phase::Decode, live));
    ++step_index_;
    // compute_step reports tokens of the sequences it ran; spread them over all sequences.
    StepResult out;
    out.tokens.assign(seqs_.size(), -1);
    for (std::size_t k = 0; k < live.size(); ++k) out.tokens[live[k]] = r.tokens[k];
    out.token = out.tokens.front();
    out.stopped = finished_;
    return out;
}

Status GenerationSession::run(int max_new_tokens, const std::atomic<bool>* cancel) {
    while (!finished_) {
        for (Sequence& s : seqs_)
            if (!s.done && int(s.tokens.size()) - s.prompt_length >= max_new_tokens) {
                s.done = true;
                s.stop_reason = "limit";
            }
        if (std::all_of(seqs_.begin(), seqs_.end(), [](const Sequence& s) { return s.done; })) break;
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
    finish(finished_ ? stop_reason_ : (seqs_.empty() ? "limit" : seqs_.front().stop_reason));
    return {};
}

void GenerationSession::finish(const std::string& reason) {
    if (run_finished_emitted_) return;
    run_finished_emitted_ = true;
    finished_ = true;
    if (stop_reason_.empty()) stop_reason_ = reason;
    RunFinished ev;
    ev.steps = step_index_;
    ev.stop_reason = stop_reason_;
    ev.wall_ms = elapsed_ms_;
    for (std::size_t i = 0; i < seqs_.size(); ++i) {
        if (seqs_[i].stop_reason.empty()) seqs_[i].stop_reason = reason;
        ev.generated_tokens += generated(int(i));
        ev.sequences.push_back({seqs_[i].id, generated(int(i)), seqs_[i].stop_reason});
    }
    publish(ev);
}

std::string GenerationSession::generated_text(int i) const {
    std::string out;
    if (!model_->tokenizer || i >= sequences()) return out;
    const auto& t = tokens(i);
    for (std::size_t k = std::size_t(prompt_length(i)); k < t.size(); ++k) {
        if (is_stop_token(t[k])) break;
        out += model_->tokenizer->decode_piece(t[k - 1], t[k]);
    }
    return out;
}

bool GenerationSession::is_stop_token(int id) const {
    return std::find(model_->stop_tokens.begin(), model_->stop_tokens.end(), id) != model_->stop_tokens.end();
}

Status GenerationSession::rewind(int step) {
    if (seqs_.size() != 1)
        return err("rewind: the debugger works on runs of one sequence; this run has ", seqs_.size());
    if (step < 0 || step > step_index_)
        return err("rewind: step ", step, " is not one of the steps run so far (0..", step_index_, ")");
    Sequence& s = seqs_.front();
    KvPool& kv = backend_->kv();
    // Step k computed the token at prompt + k from the one before it; to run it again, keep
    // the tokens up to that one and the cache of every position before it.
    const int keep = s.prompt_length + step;
    const int cache = std::min(step == 0 ? 0 : keep - 1, kv.length(s.id));
    KVS_TRY(kv.truncate(s.id, cache));
    s.tokens.resize(std::size_t(keep));
    if (std::size_t(step) < s.sampler_states.size()) {
        s.sampler.set_state(s.sampler_states[std::size_t(step)]);
        s.sampler_states.resize(std::size_t(step));
    }
    // Full attention matrices keep the rows and keys of the positions still cached.
    for (auto& [key, m] : s.full_attention) {
        int old = 0;
        while (std::size_t(old + 1) * std::size_t(old + 1) <= m.size()) ++old;
        const int n = std::min(old, cache);
        std::vector<float> cropped(std::size_t(n) * std::size_t(n));
        for (int q = 0; q < n; ++q)
            std::copy_n(m.begin() + std::ptrdiff_t(q) * old, n, cropped.begin() + std::ptrdiff_t(q) * n);
        m = std::move(cropped);
    }
    if (step == 0) {
        s.prefilled = false;
        s.reused = 0;
        prefilled_ = false;
    }
    s.done = false;
    s.stop_reason.clear();
    s.forced = -1;
    step_index_ = step;
    finished_ = run_finished_emitted_ = false;
    stop_reason_.clear();
    publish_block_events();
    publish(Rewound{step, s.id, keep, cache});
    return {};
}

Status GenerationSession::force_next(int token) {
    if (seqs_.size() != 1)
        return err("force: the debugger works on runs of one sequence; this run has ", seqs_.size());
    if (token < 0 || token >= model_->config.vocab_size)
        return err("force: token id ", token, " is outside the vocabulary (0..", model_->config.vocab_size - 1, ")");
    if (finished_) return err("force: the run has finished (", stop_reason_, "); rewind first");
    seqs_.front().forced = token;
    return {};
}

Result<GenerationSession::Parked> GenerationSession::fork_active() {
    if (seqs_.size() != 1)
        return err("branch: the debugger works on runs of one sequence; this run has ", seqs_.size());
    KVS_ASSIGN(const int id, backend_->kv().fork(seqs_.front().id));
    publish_block_events();
    Parked p{seqs_.front(), step_index_, prefilled_, finished_, run_finished_emitted_, stop_reason_};
    p.seq.id = id;
    return p;
}

GenerationSession::Parked GenerationSession::swap_active(Parked run) {
    Parked old{std::move(seqs_.front()), step_index_, prefilled_, finished_, run_finished_emitted_, stop_reason_};
    seqs_.front() = std::move(run.seq);
    step_index_ = run.step_index;
    prefilled_ = run.prefilled;
    finished_ = run.finished;
    run_finished_emitted_ = run.run_finished_emitted;
    stop_reason_ = std::move(run.stop_reason);
    return old;
}

void GenerationSession::release(const Parked& run) {
    backend_->kv().remove(run.seq.id);
    publish_block_events();
}

// One forward pass over the sequences `batch` (indices into seqs_), sampling a token for each.
Result<StepResult> GenerationSession::compute_step(Phase phase, const std::vector<std::size_t>& batch) {
    const auto t0 = std::chrono::steady_clock::now();
    KvPool& kv = backend_->kv();
    const int vocab = model_->config.vocab_size;

    // Cached decode feeds only the newest token; a prefill feeds the prompt past any reused
    // prefix; an uncached step feeds the whole sequence again, from an empty cache.
    struct Feed {
        int first_pos = 0;
        std::vector<int> input;
    };
    std::vector<Feed> feeds(batch.size());
    ForwardBatch fb;
    fb.capture = options_.capture;
    for (std::size_t k = 0; k < batch.size(); ++k) {
        Sequence& s = seqs_[batch[k]];
        Feed& f = feeds[k];
        if (phase == Phase::Decode && options_.use_cache) {
            f.first_pos = int(s.tokens.size()) - 1;
            f.input.assign(1, s.tokens.back());
        } else if (options_.use_cache) {
            f.first_pos = s.reused;
            f.input.assign(s.tokens.begin() + s.reused, s.tokens.end());
        } else {
            KVS_TRY(kv.truncate(s.id, 0));
            f.input = s.tokens;
        }
        StepStarted started{step_index_, s.id, phase, f.first_pos, f.input};
        publish(started);
        fb.sequences.push_back({s.id, f.input, f.first_pos, false});
    }
    publish_block_events();  // blocks an uncached step gave back

    ForwardOutput out;
    KVS_TRY(backend_->forward(fb, out));
    std::vector<int> sampled(batch.size());
    std::vector<std::vector<TokenProbabilityPair>> tops(batch.size()), filtered(batch.size());
    std::vector<double> entropies(batch.size(), 0.0);
    std::vector<int> argmaxes(batch.size(), -1);
    for (std::size_t k = 0; k < batch.size(); ++k) {
        const std::span<const float> logits(out.logits.data() + std::size_t(out.first_logit_row[k]) * vocab,
                                            std::size_t(vocab));
        if (k == 0 && options_.keep_logits) last_logits_.assign(logits.begin(), logits.end());
        Sequence& s = seqs_[batch[k]];
        if (s.sampler_states.size() <= std::size_t(step_index_)) s.sampler_states.resize(std::size_t(step_index_) + 1);
        s.sampler_states[std::size_t(step_index_)] = s.sampler.state();
        sampled[k] = s.sampler.sample(logits);
        // The reported distributions go only into the events: without an observer (generate)
        // a softmax over the vocabulary per step would be work nobody reads.
        if (observer_) {
            tops[k] = Sampler::top_probabilities(logits, options_.top_report);
            filtered[k] = s.sampler.filtered_probabilities(logits, options_.top_report);
            entropies[k] = Sampler::entropy(logits);
            argmaxes[k] = Sampler::argmax(logits);
        }
    }
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    elapsed_ms_ += wall_ms;

    publish_block_events();
    const KvPoolUsage usage = kv.usage();
    for (std::size_t k = 0; k < batch.size(); ++k)
        emit_kv_events(seqs_[batch[k]], feeds[k].first_pos, int(feeds[k].input.size()), usage);
    emit_attention_events(out);
    if (options_.emit_op_costs)
        for (std::size_t k = 0; k < batch.size(); ++k)
            emit_cost_events(seqs_[batch[k]], feeds[k].first_pos, int(feeds[k].input.size()), out);
    if (observer_) publish(PoolState{step_index_, usage});

    StepResult result;
    for (std::size_t k = 0; k < batch.size(); ++k) {
        Sequence& s = seqs_[batch[k]];
        const int token = s.forced >= 0 ? s.forced : sampled[k];
        StepFinished done;
        done.forced = s.forced >= 0;
        done.sampler_token = sampled[k];
        s.forced = -1;
        done.step = step_index_;
        done.sequence = s.id;
        done.phase = phase;
        done.first_pos = feeds[k].first_pos;
        done.n_positions = int(feeds[k].input.size());
        done.input_tokens = std::move(feeds[k].input);
        done.sampled_token = token;
        done.sampled_label = label(token);
        done.sampled_text = is_stop_token(token) || !model_->tokenizer ? "" : model_->tokenizer->decode_piece(s.tokens.back(), token);
        for (const auto& p : tops[k]) done.top.push_back({p.id, p.probability, label(p.id)});
        for (const auto& p : filtered[k]) done.top_filtered.push_back({p.id, p.probability, label(p.id)});
        done.entropy = entropies[k];
        done.argmax = argmaxes[k];
        done.wall_ms = wall_ms;
        done.device_ms = out.device_ms;

        s.tokens.push_back(token);
        s.prefilled = true;
        if (is_stop_token(token)) {
            s.done = true;
            s.stop_reason = "eos";
        } else if (int(s.tokens.size()) > backend_->kv_layout().capacity) {
            // The sampled token would need position len, past the last cache slot.
            s.done = true;
            s.stop_reason = "context";
        }
        done.stops = s.done;
        result.tokens.push_back(token);
        publish(done);
    }
    result.token = result.tokens.front();
    // Every sequence ended (a stop token, the context limit): the run is over, and says so at
    // once, whatever drives it (a whole run, single steps, the prefill alone).
    if (std::all_of(seqs_.begin(), seqs_.end(), [](const Sequence& s) { return s.done; })) {
        stop_reason_ = seqs_.front().stop_reason;
        finish(stop_reason_);
    }
    result.stopped = finished_;
    return result;
}

// A sequence's cache after the pass: what the allocator gave it (its blocks), the formula for
// its tokens beside it, per layer.
void GenerationSession::emit_kv_events(const Sequence& s, int first_pos, int n_positions, const KvPoolUsage& usage) {
    if (!observer_) return;
    const KvLayout& layout = backend_->kv_layout();
    const auto it = std::find_if(usage.sequences.begin(), usage.sequences.end(),
                                 [&](const SequenceKvUsage& q) { return q.sequence == s.id; });
    const SequenceKvUsage q = it != usage.sequences.end() ? *it : SequenceKvUsage{};
    for (int l = 0; l < layout.n_layers; ++l) {
        KvAppend ev;
        ev.step = step_index_;
        ev.sequence = s.id;
        ev.layer = l;
        ev.first_pos = first_pos;
        ev.n_positions = n_positions;
        ev.bytes_written = layout.layer_bytes_for(n_positions);
        ev.layer_bytes_used = q.bytes_held / layout.n_layers;
        ev.layer_bytes_allocated = usage.pool_bytes / layout.n_layers;
        ev.total_bytes_used = q.bytes_held;
        ev.total_bytes_allocated = usage.pool_bytes;
        ev.formula_bytes = q.formula_bytes;
        ev.blocks = q.blocks;
        publish(ev);
    }
}

void GenerationSession::emit_attention_events(const ForwardOutput& out) {
    if (!observer_) return;
    const bool full = options_.capture.mode == AttentionCapture::Mode::Full && options_.use_cache;
    for (const auto& rows : out.attention) {
        Sequence* s = find(rows.sequence);
        if (!s) continue;
        AttentionEvent ev;
        ev.step = step_index_;
        ev.sequence = rows.sequence;
        ev.layer = rows.layer;
        ev.head = rows.head;
        ev.kv_head = rows.head / model_->config.gqa_group();
        if (full) {
            // Keep every row seen so far and hand out the whole causal matrix [keys, keys]. Rows
            // of a reused prefix were never computed and stay 0.
            auto& m = s->full_attention[{rows.layer, rows.head}];
            const int keys = rows.n_keys;
            std::vector<float> grown(std::size_t(keys) * keys, 0.0f);
            const int old = m.empty() ? 0 : rows.first_query;
            for (int q = 0; q < old; ++q)
                std::copy_n(m.begin() + std::ptrdiff_t(q) * old, old, grown.begin() + std::ptrdiff_t(q) * keys);
            for (int q = 0; q < rows.n_queries; ++q)
                std::copy_n(rows.probs.begin() + std::ptrdiff_t(q) * keys, keys,
                            grown.begin() + std::ptrdiff_t(rows.first_query + q) * keys);
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

void GenerationSession::emit_cost_events(const Sequence& s, int first_pos, int n_positions, const ForwardOutput& out) {
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
        ev.sequence = s.id;
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
