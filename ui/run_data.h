#pragma once
// Everything the views know about the current run, accumulated from the engine's events.
// The controller feeds it batches of events (one batch per step, by value, on the GUI thread);
// views read it and listen to its signals. Views never call into the engine.
//
// A run may hold several sequences (one per prompt). Tokens, steps, KV points, op costs and
// attention are those of the selected sequence; the block pool (pool()) covers all of them.
#include <QObject>
#include <QString>
#include <QVector>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/events.h"
#include "pool_tracker.h"

namespace kvs::ui {

// The text of a sequence's prompt, from its token labels.
QString prompt_text(const kvs::SequenceStart& sequence);

struct TokenInfo {
    int id = 0;
    int position = 0;
    bool is_prompt = false;
    int step = 0;             // the step that produced it (prompt tokens: 0)
    QString label;            // printable token label
    QString text;             // the text it adds
    std::vector<TokenProbability> top;  // distribution it was sampled from (generated tokens)
};

// KV usage after each step.
struct KvPoint {
    int step = 0;
    int positions = 0;                   // cache length after the step
    std::int64_t total_bytes_used = 0;
    std::int64_t total_bytes_allocated = 0;
    std::vector<std::int64_t> layer_bytes_used;  // [n_layers]
};

// A growing causal attention matrix of one (layer, query head): rows are query positions.
// Each row is stored on its own, so adding rows never moves the earlier ones (a square
// buffer that doubles would copy every matrix at once, stalling the GUI at 256, 512, ...).
struct AttentionMatrix {
    int size = 0;                         // rows filled == keys covered
    std::vector<std::vector<float>> rows;  // rows[q]: probabilities over keys 0..n_keys-1
    int rewrites = 0;  // times rows already held were written again (a view redraws them all)
    float at(int q, int k) const {
        const auto& row = rows[std::size_t(q)];
        return k < int(row.size()) ? row[std::size_t(k)] : 0.0f;  // past the causal limit: 0
    }
};

class RunData : public QObject {
    Q_OBJECT
public:
    explicit RunData(QObject* parent = nullptr);

    // The text a token label stands for (whitespace markers and escaped newlines undone).
    static QString textOfLabel(QString label);

    void clear();
    void append(const std::vector<kvs::Event>& batch);

    bool hasRun() const { return started_.has_value(); }
    const kvs::RunStarted& run() const { return *started_; }
    const std::vector<TokenInfo>& tokens() const { return tokens_; }
    const std::vector<kvs::StepFinished>& steps() const { return steps_; }
    const std::vector<KvPoint>& kvPoints() const { return kv_points_; }
    // Op costs of each step, indexed like steps().
    const std::vector<std::vector<kvs::OpCostEvent>>& opCosts() const { return op_costs_; }
    const AttentionMatrix* attention(int layer, int head) const;
    bool hasAttention() const { return !attention_.empty(); }
    // Everything, in order. A deque: a long run holds hundreds of thousands of events, and a
    // vector would move them all each time it grows.
    const std::deque<kvs::Event>& events() const { return events_; }
    std::optional<kvs::RunFinished> finished() const { return finished_; }
    // The KV block pool: every sequence's blocks and the allocator's figures after each pass.
    const PoolTracker& pool() const { return pool_; }

    // The run's sequences (id and prompt), and the one the per-sequence data describe.
    std::vector<kvs::SequenceStart> sequences() const;
    int selectedSequence() const { return selected_sequence_; }
    // Rebuilds the per-sequence data from the events (cleared, runStarted, stepsAppended(0),
    // attentionChanged, runFinished follow, as for a run delivered at once).
    void setSelectedSequence(int sequence);

    // Selection shared by all views: clicking a token selects its step; the attention and cache
    // views follow the selected layer and head.
    int selectedStep() const { return selected_step_; }
    int selectedLayer() const { return selected_layer_; }
    int selectedHead() const { return selected_head_; }
    void setSelectedStep(int step);
    void setSelectedLayerHead(int layer, int head);
    // The debugger's branch whose steps the per-sequence data show.
    int activeBranch() const { return active_branch_; }

signals:
    void cleared();
    void runStarted();
    void stepsAppended(int first_new_step);  // after a batch with StepFinished events
    void attentionChanged();
    void runFinished();
    void selectionChanged();
    void poolChanged();      // after a batch with block or pool events
    void sequenceChanged();  // another sequence was selected

private:
    // The per-sequence data of a debugger branch that is not shown.
    struct Parked {
        std::vector<TokenInfo> tokens;
        std::vector<kvs::StepFinished> steps;
        std::vector<KvPoint> kv_points;
        std::vector<std::vector<kvs::OpCostEvent>> op_costs;
        std::map<std::pair<int, int>, AttentionMatrix> attention;
        std::optional<kvs::RunFinished> finished;
    };
    Parked park();
    void unpark(Parked p);
    // A rewind or a branch switch replaced what the views show: they read everything again.
    void emitRefresh();
    // What a view needs to draw the rebuilt data from scratch (after cleared()).
    void emitRebuilt();
    void apply(const kvs::Event& e, bool& steps_changed, bool& attention_changed);
    bool mine(int sequence) const { return sequence == selected_sequence_; }

    std::optional<kvs::RunStarted> started_;
    std::optional<kvs::RunFinished> finished_;
    std::vector<TokenInfo> tokens_;
    std::vector<kvs::StepFinished> steps_;
    std::vector<KvPoint> kv_points_;
    std::vector<std::vector<kvs::OpCostEvent>> op_costs_;
    std::map<std::pair<int, int>, AttentionMatrix> attention_;
    std::deque<kvs::Event> events_;
    PoolTracker pool_;
    int selected_sequence_ = 0;
    std::map<int, Parked> parked_;  // debugger branches, by branch id
    int active_branch_ = 0;
    bool refresh_ = false;          // set by a rewind or a branch change in the current batch
    bool replaying_ = false;  // setSelectedSequence() reading the events again
    int selected_step_ = -1;
    int selected_layer_ = 0;
    int selected_head_ = 0;
};

}  // namespace kvs::ui
