#include "session/debugger.h"

#include <algorithm>
#include <set>

namespace kvs {

const char* to_string(DebugStop::Cause c) {
    switch (c) {
        case DebugStop::Cause::Breakpoint: return "breakpoint";
        case DebugStop::Cause::Steps: return "steps";
        case DebugStop::Cause::Limit: return "limit";
        case DebugStop::Cause::Finished: return "finished";
        case DebugStop::Cause::Cancelled: return "cancelled";
    }
    return "";
}

Debugger::Debugger(std::shared_ptr<const Model> model, std::unique_ptr<Backend> backend, SessionOptions options,
                   EventObserver* observer)
    : observer_(observer), session_(std::move(model), std::move(backend), options, this), base_capture_(options.capture) {}

void Debugger::forward(const Event& e) {
    if (observer_) observer_->on_event(e);
}

Status Debugger::start(std::string_view prompt) {
    nodes_.clear();  // the session's start gives every pool sequence back
    KVS_TRY(session_.start(prompt));
    return restart();
}

Status Debugger::start_ids(std::vector<int> prompt_ids) {
    nodes_.clear();
    KVS_TRY(session_.start_ids(std::move(prompt_ids)));
    return restart();
}

Status Debugger::restart() {
    next_branch_ = 1;
    active_ = 0;
    nodes_[0] = Node{};
    pending_forced_.clear();
    update_capture();
    return {};
}

// The generated text of a token sequence, up to a stop token (as GenerationSession shows it).
static std::string generated_text_of(const Model& m, const std::vector<int>& tokens, int prompt_length) {
    std::string out;
    if (!m.tokenizer) return out;
    for (std::size_t k = std::size_t(std::max(prompt_length, 1)); k < tokens.size(); ++k) {
        if (std::find(m.stop_tokens.begin(), m.stop_tokens.end(), tokens[k]) != m.stop_tokens.end()) break;
        out += m.tokenizer->decode_piece(tokens[k - 1], tokens[k]);
    }
    return out;
}

void Debugger::on_event(const Event& e) {
    if (std::holds_alternative<StepStarted>(e)) {
        last_rows_.clear();
        last_kv_ = KvAppend{};
    } else if (const auto* kv = std::get_if<KvAppend>(&e)) {
        if (kv->layer == 0) last_kv_ = *kv;
    } else if (const auto* a = std::get_if<AttentionEvent>(&e)) {
        // The row of the step's last query: the position whose output chose the token.
        if (a->n_queries > 0) {
            const auto first = a->probs.begin() + std::ptrdiff_t(a->n_queries - 1) * a->n_keys;
            last_rows_[{a->layer, a->head}].assign(first, first + a->n_keys);
        }
    } else if (const auto* s = std::get_if<StepFinished>(&e)) {
        forward(e);
        Node& node = nodes_.at(active_);
        node.records.resize(std::min(node.records.size(), std::size_t(s->step)));
        node.records.push_back({*s, last_kv_.first_pos + last_kv_.n_positions, last_kv_.blocks, last_kv_.total_bytes_used});
        if (s->forced) node.forced[s->step] = s->sampled_token;
        else node.forced.erase(s->step);
        const std::string after = session_.generated_text();
        const std::string before = after.substr(0, after.size() - std::min(after.size(), s->sampled_text.size()));
        StepObservation o{s, &last_rows_, last_kv_.blocks, last_kv_.total_bytes_used, &before, &after};
        for (const Breakpoint& b : breakpoints_) {
            if (!b.enabled) continue;
            if (auto detail = breakpoint_hit(b, o)) {
                const std::string spec = breakpoint_spec(b);
                hit_ = DebugStop{DebugStop::Cause::Breakpoint, s->step,
                                 "breakpoint " + std::to_string(b.id) + " (" + spec + "): " + *detail, b.id};
                forward(BreakpointHit{s->step, s->sequence, b.id, spec, *detail});
                break;
            }
        }
        return;
    }
    forward(e);
}

Result<DebugStop> Debugger::advance(int max_steps, int max_new_tokens, const std::atomic<bool>* cancel) {
    DebugStop stop;
    stop.step = -1;
    for (int ran = 0;; ++ran) {
        if (session_.finished()) {
            stop.cause = DebugStop::Cause::Finished;
            stop.reason = session_.stop_reason();
            break;
        }
        if (max_new_tokens >= 0 && session_.generated() >= max_new_tokens) {
            stop.cause = DebugStop::Cause::Limit;
            stop.reason = "limit";
            break;
        }
        if (max_steps >= 0 && ran >= max_steps) {
            stop.cause = DebugStop::Cause::Steps;
            stop.reason = "steps";
            break;
        }
        if (cancel && cancel->load()) {
            stop.cause = DebugStop::Cause::Cancelled;
            stop.reason = "cancelled";
            break;
        }
        if (!pending_forced_.empty()) {
            KVS_TRY(session_.force_next(pending_forced_.front()));
            pending_forced_.erase(pending_forced_.begin());
        }
        hit_.reset();
        auto r = session_.step();
        if (!r.ok()) return r.error();
        stop.step = session_.step_index() - 1;
        if (hit_) return *hit_;
    }
    return stop;
}

Result<DebugStop> Debugger::run(int max_new_tokens, const std::atomic<bool>* cancel) {
    if (max_new_tokens < 0) return err("run: the token limit must be >= 0, not ", max_new_tokens);
    return advance(-1, max_new_tokens, cancel);
}

Result<DebugStop> Debugger::step(int steps) {
    if (steps < 0) return err("step: the number of steps must be >= 0, not ", steps);
    return advance(steps, -1, nullptr);
}

Status Debugger::rewind(int step, bool keep_branch) {
    if (nodes_.empty()) return err("rewind: no run (start one first)");
    if (step < 0 || step > session_.step_index())
        return err("rewind: step ", step, " is not one of the steps run so far (0..", session_.step_index(), ")");
    if (keep_branch && step < session_.step_index()) {
        auto b = branch(active_, step);
        if (!b.ok()) return b.error();
        return {};
    }
    KVS_TRY(session_.rewind(step));
    Node& node = nodes_.at(active_);
    node.records.resize(std::min(node.records.size(), std::size_t(step)));
    node.forced.erase(node.forced.lower_bound(step), node.forced.end());
    pending_forced_.clear();
    return {};
}

Status Debugger::force(int token) {
    KVS_TRY(session_.force_next(token));  // checks the id and the run
    pending_forced_.assign(1, token);
    return {};
}

Result<int> Debugger::force_text(const std::string& text) {
    const Model& m = session_.model();
    if (!m.tokenizer) return err("force: model '", m.source, "' has no tokenizer: force token ids instead");
    // SentencePiece tokenizers put a space before the text they encode: of the encodings of the
    // text with and without its first space, take the one whose tokens, after the current last
    // token, add exactly the text typed.
    std::vector<std::vector<int>> candidates{m.tokenizer->encode(text)};
    if (!text.empty() && text.front() == ' ') candidates.push_back(m.tokenizer->encode(text.substr(1)));
    std::vector<int> ids = candidates.front();
    for (const auto& c : candidates) {
        std::string added;
        int prev = session_.tokens().back();
        for (int id : c) {
            added += m.tokenizer->decode_piece(prev, id);
            prev = id;
        }
        if (added == text && !c.empty()) {
            ids = c;
            break;
        }
    }
    if (ids.empty()) return err("force: '", text, "' encodes to no tokens");
    KVS_TRY(session_.force_next(ids.front()));
    pending_forced_ = ids;
    return int(ids.size());
}

Result<int> Debugger::branch(int from, int step) {
    if (!has_branch(from)) return err("branch: there is no branch ", from);
    if (from != active_) KVS_TRY(switch_branch(from));
    if (step < 0 || step > session_.step_index())
        return err("branch: step ", step, " is not one of the steps of branch ", from, " (0..", session_.step_index(), ")");
    // The parent keeps a fork of the whole run (every block shared); the live run, which keeps
    // its pool sequence, goes back and becomes the child.
    KVS_ASSIGN(GenerationSession::Parked copy, session_.fork_active());
    Node& parent = nodes_.at(from);
    Node child;
    child.id = next_branch_++;
    child.parent = from;
    child.fork_step = step;
    child.records.assign(parent.records.begin(), parent.records.begin() + std::min<std::ptrdiff_t>(step, std::ptrdiff_t(parent.records.size())));
    child.forced.insert(parent.forced.begin(), parent.forced.lower_bound(step));
    parent.parked = std::move(copy);
    const int id = child.id;
    forward(BranchChanged{session_.step_index(), BranchChanged::Kind::Created, id, from, session_.active().id, step});
    nodes_[id] = std::move(child);
    active_ = id;
    pending_forced_.clear();
    KVS_TRY(session_.rewind(step));
    return id;
}

Status Debugger::switch_branch(int id) {
    if (!has_branch(id)) return err("switch: there is no branch ", id);
    if (id == active_) return {};
    Node& n = nodes_.at(id);
    GenerationSession::Parked p = std::move(*n.parked);
    n.parked.reset();
    nodes_.at(active_).parked = session_.swap_active(std::move(p));
    forward(BranchChanged{session_.step_index(), BranchChanged::Kind::Switched, id, active_, session_.active().id, n.fork_step});
    active_ = id;
    pending_forced_.clear();
    return {};
}

Status Debugger::drop_branch(int id) {
    if (!has_branch(id)) return err("drop: there is no branch ", id);
    if (id == active_) return err("drop: branch ", id, " is the active one; switch to another first");
    Node& n = nodes_.at(id);
    const int sequence = n.parked->seq.id;
    session_.release(*n.parked);
    forward(BranchChanged{session_.step_index(), BranchChanged::Kind::Dropped, id, active_, sequence, n.fork_step});
    for (auto& [cid, c] : nodes_)
        if (c.parent == id) {
            // The child agreed with this branch before its fork and this branch with its parent
            // before its own: with the grandparent, before the earlier of the two.
            c.parent = n.parent;
            c.fork_step = std::min(c.fork_step, n.fork_step);
        }
    nodes_.erase(id);
    return {};
}

const GenerationSession::Sequence& Debugger::sequence_of(const Node& n) const {
    return n.parked ? n.parked->seq : session_.active();
}

BranchInfo Debugger::branch_info(int id) const {
    const Node& n = nodes_.at(id);
    const GenerationSession::Sequence& s = sequence_of(n);
    BranchInfo b;
    b.id = id;
    b.parent = n.parent;
    b.fork_step = n.fork_step;
    b.active = id == active_;
    b.sequence = s.id;
    b.steps = n.parked ? n.parked->step_index : session_.step_index();
    b.tokens = s.tokens;
    b.text = generated_text_of(session_.model(), s.tokens, s.prompt_length);
    b.forced = n.forced;
    if (n.parked ? n.parked->finished : session_.finished()) b.stop_reason = n.parked ? n.parked->stop_reason : session_.stop_reason();
    const KvPool& kv = session_.backend().kv();
    const std::int64_t block_bytes = kv.layout().block_bytes();
    if (kv.contains(s.id))
        for (int blk : kv.table(s.id).blocks()) {
            ++b.blocks;
            if (kv.allocator().refcount(blk) > 1 || kv.allocator().registered(blk)) ++b.shared_blocks;
            else ++b.own_blocks;
        }
    b.own_bytes = b.own_blocks * block_bytes;
    b.shared_bytes = b.shared_blocks * block_bytes;
    return b;
}

std::vector<BranchInfo> Debugger::branches() const {
    std::vector<BranchInfo> out;
    for (const auto& [id, n] : nodes_) out.push_back(branch_info(id));
    return out;
}

int Debugger::add_breakpoint(Breakpoint b) {
    b.id = next_breakpoint_++;
    breakpoints_.push_back(b);
    update_capture();
    return b.id;
}

Status Debugger::enable_breakpoint(int id, bool enabled) {
    for (Breakpoint& b : breakpoints_)
        if (b.id == id) {
            b.enabled = enabled;
            update_capture();
            return {};
        }
    return err("there is no breakpoint ", id);
}

Status Debugger::remove_breakpoint(int id) {
    const auto it = std::find_if(breakpoints_.begin(), breakpoints_.end(), [&](const Breakpoint& b) { return b.id == id; });
    if (it == breakpoints_.end()) return err("there is no breakpoint ", id);
    breakpoints_.erase(it);
    update_capture();
    return {};
}

// Attention breakpoints need the rows of their layers and heads: the capture the session was
// given, widened to cover them.
void Debugger::update_capture() {
    AttentionCapture c = base_capture_;
    std::set<int> layers, heads;
    bool all_layers = false, all_heads = false, any = false;
    for (const Breakpoint& b : breakpoints_) {
        if (!b.enabled || !b.needs_attention()) continue;
        any = true;
        if (b.layer < 0) all_layers = true;
        else layers.insert(b.layer);
        if (b.head < 0) all_heads = true;
        else heads.insert(b.head);
    }
    if (any) {
        const bool was_on = c.enabled();
        if (!was_on) c.mode = AttentionCapture::Mode::NewRows;
        const auto widen = [&](std::vector<int>& list, const std::set<int>& add, bool all) {
            if (all || (was_on && list.empty())) {
                list.clear();
                return;
            }
            if (!was_on) list.clear();
            for (int x : add)
                if (std::find(list.begin(), list.end(), x) == list.end()) list.push_back(x);
        };
        widen(c.layers, layers, all_layers);
        widen(c.heads, heads, all_heads);
    }
    session_.set_capture(c);
}

Result<LogitLens> Debugger::logit_lens(int step, int top_k, const std::string& backend,
                                       const BackendOptions& options) const {
    const std::vector<StepRecord>& recs = records();
    if (step < 0 || step >= int(recs.size()))
        return err("logit lens: step ", step, " has not run on this branch (", recs.size(), " steps)");
    const StepFinished& s = recs[std::size_t(step)].step;
    const int fed = s.first_pos + s.n_positions;  // the tokens before the one the step chose
    const std::vector<int>& tokens = session_.tokens();
    if (fed <= 0 || fed > int(tokens.size())) return err("logit lens: step ", step, " fed ", fed, " tokens");
    // Where the pass runs and how it stores weights and cache come from `options`; its cache is
    // one block of exactly the tokens fed.
    BackendOptions o;
    o.kv_capacity = fed;
    o.block_size = 0;
    o.kv_dtype = options.kv_dtype;
    o.f16_weights = options.f16_weights;
    o.device = options.device;
    o.validation = options.validation;
    o.threads = options.threads;
    KVS_ASSIGN(std::unique_ptr<Backend> pass, create_backend(backend, session_.shared_model(), o, nullptr));
    return kvs::logit_lens(*pass, model(), std::vector<int>(tokens.begin(), tokens.begin() + fed), top_k);
}

}  // namespace kvs
