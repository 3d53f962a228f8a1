#pragma once
// A realistic event stream built in the test: RunStarted with a small Llama-shaped config
// (4 layers, 8 query heads sharing 4 KV heads, head_dim 8), a 5-token prefill and decode steps,
// each with KvAppend per layer, the attention rows of every head and the ops' costs from the
// cost model. The numbers follow the formulas, so tests can check the views against them.
#include <cmath>
#include <string>
#include <vector>

#include "core/cost_model.h"
#include "core/events.h"

namespace kvs::test {

struct SyntheticRun {
    ModelConfig config;
    KvLayout layout;
    int prompt = 5;
    int steps = 50;  // step 0 is the prefill
    std::vector<std::vector<Event>> batches;  // one per step; the first starts with RunStarted
    std::vector<Event> finish;                // RunFinished

    int final_positions() const { return prompt + steps - 1; }
};

// Softmax weights of query position q over keys 0..q: the first token (an attention sink) and
// the most recent ones get most of the weight, and each head has its own sharpness.
inline std::vector<float> synthetic_attention_row(int layer, int head, int q) {
    std::vector<float> p(std::size_t(q) + 1);
    double sum = 0;
    const double sharp = 0.3 + 0.15 * ((layer * 8 + head) % 7);
    for (int k = 0; k <= q; ++k) {
        const double score = (k == 0 ? 2.0 : 0.0) - sharp * (q - k) + 0.3 * std::sin(0.7 * k + head);
        p[std::size_t(k)] = float(std::exp(score));
        sum += p[std::size_t(k)];
    }
    for (float& v : p) v = float(v / sum);
    return p;
}

// `attention` false leaves out the attention rows (long runs whose views do not need them).
inline SyntheticRun make_synthetic_run(int steps = 50, int prompt = 5, int capacity = 128, bool attention = true) {
    SyntheticRun run;
    run.steps = steps;
    run.prompt = prompt;
    ModelConfig& c = run.config;
    c.name = "synthetic-test";
    c.dim = 64;
    c.hidden_dim = 172;
    c.n_layers = 4;
    c.n_heads = 8;
    c.n_kv_heads = 4;
    c.vocab_size = 512;
    c.max_seq_len = capacity;
    run.layout = KvLayout{c.n_layers, c.n_kv_heads, c.head_dim(), capacity, 1, KvDtype::F32};

    RunStarted started;
    started.config = c;
    started.backend = "cpu";
    started.device = "test";
    started.kv_layout = run.layout;
    for (int i = 0; i < prompt; ++i) {
        started.prompt_tokens.push_back(100 + i);
        started.prompt_labels.push_back("p" + std::to_string(i));
    }

    int positions = 0;
    for (int s = 0; s < steps; ++s) {
        std::vector<Event> batch;
        if (s == 0) batch.push_back(started);
        const bool prefill = s == 0;
        const int first = positions;
        const int n = prefill ? prompt : 1;
        StepStarted st{s, 0, prefill ? Phase::Prefill : Phase::Decode, first, {}};
        batch.push_back(st);
        positions += n;
        for (int l = 0; l < c.n_layers; ++l) {
            KvAppend a;
            a.step = s;
            a.layer = l;
            a.first_pos = first;
            a.n_positions = n;
            a.bytes_written = run.layout.layer_bytes_for(n);
            a.layer_bytes_used = run.layout.layer_bytes_for(positions);
            a.layer_bytes_allocated = run.layout.layer_bytes_for(capacity);
            a.total_bytes_used = run.layout.bytes_for(positions);
            a.total_bytes_allocated = run.layout.bytes_allocated();
            batch.push_back(a);
        }
        for (int l = 0; l < c.n_layers && attention; ++l)
            for (int h = 0; h < c.n_heads; ++h) {
                AttentionEvent e;
                e.step = s;
                e.layer = l;
                e.head = h;
                e.kv_head = h / c.gqa_group();
                e.first_query = first;
                e.n_queries = n;
                e.n_keys = positions;
                e.probs.assign(std::size_t(n) * positions, 0.0f);
                for (int i = 0; i < n; ++i) {
                    const auto row = synthetic_attention_row(l, h, first + i);
                    std::copy(row.begin(), row.end(), e.probs.begin() + std::ptrdiff_t(i) * positions);
                }
                batch.emplace_back(std::in_place_type<AttentionEvent>, std::move(e));
            }
        CostParams params;
        params.first_pos = first;
        params.n_tokens = n;
        for (const OpCost& oc : forward_costs(c, params)) {
            OpCostEvent e;
            e.step = s;
            e.layer = oc.layer;
            e.op = oc.op;
            e.flops = oc.flops;
            e.bytes_read = oc.bytes_read;
            e.bytes_written = oc.bytes_written;
            e.measured_ms = 1e-6 * oc.flops;  // a 1 GFLOP/s device
            batch.push_back(e);
        }
        StepFinished f;
        f.step = s;
        f.phase = st.phase;
        f.first_pos = first;
        f.n_positions = n;
        f.sampled_token = 200 + s;
        f.sampled_label = "t" + std::to_string(s);
        f.sampled_text = " t" + std::to_string(s);
        f.wall_ms = 1.0;
        batch.push_back(f);
        run.batches.push_back(std::move(batch));
    }
    RunFinished done;
    done.steps = steps;
    done.generated_tokens = steps;
    done.stop_reason = "limit";
    run.finish.push_back(done);
    return run;
}

}  // namespace kvs::test
