#include "run_data.h"

#include <algorithm>

namespace kvs::ui {

// Prompt tokens arrive with printable labels only; their text undoes the markers the labels use
// for whitespace: SentencePiece's "▁" and byte-level BPE's "Ġ" for a space, "Ċ" and an escaped
// "\n" for a newline.
QString RunData::textOfLabel(QString label) {
    label.replace(QChar(0x2581), QLatin1Char(' '));
    label.replace(QChar(0x0120), QLatin1Char(' '));
    label.replace(QChar(0x010A), QLatin1Char('\n'));
    label.replace(QLatin1String("\\n"), QLatin1String("\n"));
    return label;
}

QString prompt_text(const kvs::SequenceStart& sequence) {
    QString text;
    for (std::size_t i = 0; i < sequence.prompt_labels.size(); ++i) {
        const QString piece = RunData::textOfLabel(QString::fromStdString(sequence.prompt_labels[i]));
        // A leading special token (BOS: "<s>", "<|endoftext|>") is not part of the text.
        const QString bare = piece.trimmed();
        if (i == 0 && bare.startsWith('<') && bare.endsWith('>') && sequence.prompt_labels.size() > 1) continue;
        text += piece;
    }
    return text;
}

RunData::RunData(QObject* parent) : QObject(parent) {}

void RunData::clear() {
    started_.reset();
    finished_.reset();
    tokens_.clear();
    steps_.clear();
    kv_points_.clear();
    op_costs_.clear();
    attention_.clear();
    events_.clear();
    pool_.clear();
    parked_.clear();
    active_branch_ = 0;
    selected_sequence_ = 0;
    selected_step_ = -1;
    emit cleared();
}

RunData::Parked RunData::park() {
    return {std::move(tokens_), std::move(steps_), std::move(kv_points_), std::move(op_costs_), std::move(attention_),
            finished_};
}

void RunData::unpark(Parked p) {
    tokens_ = std::move(p.tokens);
    steps_ = std::move(p.steps);
    kv_points_ = std::move(p.kv_points);
    op_costs_ = std::move(p.op_costs);
    attention_ = std::move(p.attention);
    finished_ = p.finished;
}

void RunData::emitRefresh() {
    if (selected_step_ >= int(steps_.size())) selected_step_ = int(steps_.size()) - 1;
    emit cleared();
    emitRebuilt();
}

void RunData::emitRebuilt() {
    emit runStarted();
    emit stepsAppended(0);
    emit attentionChanged();
    if (finished_) emit runFinished();
    emit poolChanged();
    emit selectionChanged();
}

std::vector<kvs::SequenceStart> RunData::sequences() const {
    if (!started_) return {};
    if (!started_->sequences.empty()) return started_->sequences;
    return {kvs::SequenceStart{0, started_->prompt_tokens, started_->prompt_labels}};
}

void RunData::setSelectedSequence(int sequence) {
    if (sequence == selected_sequence_ || !started_) return;
    const auto seqs = sequences();
    if (std::none_of(seqs.begin(), seqs.end(), [&](const auto& s) { return s.sequence == sequence; })) return;
    selected_sequence_ = sequence;
    // The per-sequence data again, from the events: a user's action, not a step's work.
    const kvs::RunStarted started = *started_;
    const auto finished = finished_;
    tokens_.clear();
    steps_.clear();
    kv_points_.clear();
    op_costs_.clear();
    attention_.clear();
    parked_.clear();
    active_branch_ = 0;
    selected_step_ = -1;
    emit cleared();
    bool steps_changed = false, attention_changed = false;
    replaying_ = true;
    for (const auto& e : events_) apply(e, steps_changed, attention_changed);
    replaying_ = false;
    refresh_ = false;
    started_ = started;
    finished_ = finished;
    emitRebuilt();
    emit sequenceChanged();
}

const AttentionMatrix* RunData::attention(int layer, int head) const {
    auto it = attention_.find({layer, head});
    return it == attention_.end() ? nullptr : &it->second;
}

void RunData::setSelectedStep(int step) {
    if (step == selected_step_) return;
    selected_step_ = step;
    emit selectionChanged();
}

void RunData::setSelectedLayerHead(int layer, int head) {
    if (layer == selected_layer_ && head == selected_head_) return;
    selected_layer_ = layer;
    selected_head_ = head;
    emit selectionChanged();
}

void RunData::append(const std::vector<kvs::Event>& batch) {
    const int first_new_step = int(steps_.size());
    bool steps_changed = false, attention_changed = false;
    const bool had_run = hasRun();
    const bool had_finish = finished_.has_value();
    bool pool_changed = false;
    for (const auto& e : batch) {
        events_.push_back(e);
        pool_changed |= pool_.apply(e);
        apply(e, steps_changed, attention_changed);
    }
    if (refresh_) {
        refresh_ = false;
        emitRefresh();
        return;
    }
    if (!had_run && hasRun()) emit runStarted();
    if (pool_changed) emit poolChanged();
    if (steps_changed) emit stepsAppended(first_new_step);
    if (attention_changed) emit attentionChanged();
    if (!had_finish && finished_) emit runFinished();
}


void RunData::apply(const kvs::Event& e, bool& steps_changed, bool& attention_changed) {
    if (const auto* s = std::get_if<kvs::RunStarted>(&e)) {
        // A new run shows its first sequence; a replay (another sequence selected) keeps it.
        if (!replaying_) selected_sequence_ = s->sequences.empty() ? 0 : s->sequences.front().sequence;
        started_ = *s;
        const auto seqs = sequences();
        const auto it = std::find_if(seqs.begin(), seqs.end(), [&](const auto& q) { return q.sequence == selected_sequence_; });
        const kvs::SequenceStart& mine_start = it != seqs.end() ? *it : seqs.front();
        for (std::size_t i = 0; i < mine_start.prompt_tokens.size(); ++i) {
            TokenInfo t;
            t.id = mine_start.prompt_tokens[i];
            t.position = int(i);
            t.is_prompt = true;
            if (i < mine_start.prompt_labels.size()) t.label = QString::fromStdString(mine_start.prompt_labels[i]);
            t.text = RunData::textOfLabel(t.label);
            tokens_.push_back(std::move(t));
        }
    } else if (const auto* s = std::get_if<kvs::StepStarted>(&e)) {
        if (!mine(s->sequence)) return;
        if (int(op_costs_.size()) <= s->step) op_costs_.resize(s->step + 1);
        if (int(kv_points_.size()) <= s->step) {
            KvPoint p;
            p.step = s->step;
            if (started_) p.layer_bytes_used.assign(started_->config.n_layers, 0);
            kv_points_.resize(s->step + 1, p);
        }
    } else if (const auto* s = std::get_if<kvs::KvAppend>(&e)) {
        if (!mine(s->sequence)) return;
        if (int(kv_points_.size()) <= s->step) kv_points_.resize(s->step + 1);
        KvPoint& p = kv_points_[s->step];
        p.step = s->step;
        p.positions = s->first_pos + s->n_positions;
        p.total_bytes_used = s->total_bytes_used;
        p.total_bytes_allocated = s->total_bytes_allocated;
        if (int(p.layer_bytes_used.size()) <= s->layer) p.layer_bytes_used.resize(s->layer + 1, 0);
        p.layer_bytes_used[s->layer] = s->layer_bytes_used;
    } else if (const auto* s = std::get_if<kvs::AttentionEvent>(&e)) {
        if (!mine(s->sequence)) return;
        AttentionMatrix& m = attention_[{s->layer, s->head}];
        const int rows_end = s->first_query + s->n_queries;
        if (s->first_query < m.size) ++m.rewrites;  // a pass without the cache computes every row again
        if (int(m.rows.size()) < rows_end) m.rows.resize(std::size_t(rows_end));
        for (int q = 0; q < s->n_queries; ++q) {
            const float* src = s->probs.data() + std::size_t(q) * s->n_keys;
            m.rows[std::size_t(s->first_query + q)].assign(src, src + s->n_keys);
        }
        m.size = std::max(m.size, rows_end);
        attention_changed = true;
    } else if (const auto* s = std::get_if<kvs::OpCostEvent>(&e)) {
        if (!mine(s->sequence)) return;
        if (int(op_costs_.size()) <= s->step) op_costs_.resize(s->step + 1);
        op_costs_[s->step].push_back(*s);
    } else if (const auto* s = std::get_if<kvs::StepFinished>(&e)) {
        if (!mine(s->sequence)) return;
        steps_.push_back(*s);
        if (s->sampled_token >= 0) {
            TokenInfo t;
            t.id = s->sampled_token;
            t.position = int(tokens_.size());
            t.step = s->step;
            t.label = QString::fromStdString(s->sampled_label);
            t.text = QString::fromStdString(s->sampled_text);
            // A stop token decodes to nothing; it keeps its label's text, as a prompt token does
            // ("\n<s>\n" -> a newline, <s>, a newline: a control token, left out of the text).
            if (t.text.isEmpty()) t.text = textOfLabel(t.label);
            t.top = s->top;
            tokens_.push_back(std::move(t));
        }
        steps_changed = true;
    } else if (const auto* s = std::get_if<kvs::RunFinished>(&e)) {
        finished_ = *s;
    } else if (const auto* s = std::get_if<kvs::Rewound>(&e)) {
        if (!mine(s->sequence)) return;
        // The sequence went back: what came after the kept tokens and cached positions goes.
        tokens_.resize(std::min(tokens_.size(), std::size_t(s->tokens)));
        steps_.erase(std::remove_if(steps_.begin(), steps_.end(), [&](const auto& x) { return x.step >= s->step; }),
                     steps_.end());
        kv_points_.resize(std::min(kv_points_.size(), std::size_t(s->step)));
        op_costs_.resize(std::min(op_costs_.size(), std::size_t(s->step)));
        for (auto& [key, m] : attention_) {
            m.size = std::min(m.size, s->cache_length);
            m.rows.resize(std::size_t(m.size));
        }
        finished_.reset();
        refresh_ = true;
    } else if (const auto* s = std::get_if<kvs::BranchChanged>(&e)) {
        switch (s->kind) {
            case kvs::BranchChanged::Kind::Created: {
                // The branch it came from keeps a copy of everything so far; the active run
                // goes on as the new branch (a Rewound follows).
                Parked copy{tokens_, steps_, kv_points_, op_costs_, attention_, finished_};
                parked_[s->from] = std::move(copy);
                break;
            }
            case kvs::BranchChanged::Kind::Switched: {
                parked_[s->from] = park();
                const auto it = parked_.find(s->branch);
                if (it != parked_.end()) {
                    unpark(std::move(it->second));
                    parked_.erase(it);
                }
                selected_sequence_ = s->sequence;
                break;
            }
            case kvs::BranchChanged::Kind::Dropped: parked_.erase(s->branch); return;
        }
        active_branch_ = s->branch;
        refresh_ = true;
    }
}

}  // namespace kvs::ui
