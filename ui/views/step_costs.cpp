#include "views/step_costs.h"

#include <map>

#include "run_data.h"

namespace kvs::ui {

CostParams cost_params_for(const RunStarted& run, int first_pos, int n_tokens) {
    CostParams p;
    p.first_pos = first_pos;
    p.n_tokens = n_tokens;
    p.kv_bytes = bytes_per_element(run.kv_layout.dtype);
    return p;
}

std::vector<StepCost> step_costs(const RunData& run) {
    std::vector<StepCost> out;
    append_step_costs(run, out);
    return out;
}

void append_step_costs(const RunData& run, std::vector<StepCost>& costs) {
    const auto& steps = run.steps();
    if (!run.hasRun() || costs.size() > steps.size()) {
        costs.clear();
        if (!run.hasRun()) return;
    }
    const RunStarted& started = run.run();
    const auto& op_costs = run.opCosts();
    for (std::size_t i = costs.size(); i < steps.size(); ++i) {
        const StepFinished& s = steps[i];
        StepCost c;
        c.step = s.step;
        c.phase = s.phase;
        c.first_pos = s.first_pos;
        c.n_positions = s.n_positions;
        const bool measured = s.step >= 0 && s.step < int(op_costs.size()) && !op_costs[s.step].empty();
        if (measured) {
            for (const OpCostEvent& e : op_costs[s.step]) {
                c.flops += e.flops;
                c.bytes += e.bytes_read + e.bytes_written;
                if (e.measured_ms >= 0) c.measured_ms = (c.measured_ms < 0 ? 0.0 : c.measured_ms) + e.measured_ms;
            }
        } else {
            const CostTotals t = total(forward_costs(started.config, cost_params_for(started, s.first_pos, s.n_positions)));
            c.flops = t.flops;
            c.bytes = t.bytes;
        }
        // Without a cache the step that produces the token after position p recomputes all
        // p + 1 positions of the sequence (first_pos 0, n_tokens p + 1).
        const int last_pos = s.first_pos + s.n_positions - 1;
        c.uncached_flops =
            total(forward_costs(started.config, cost_params_for(started, 0, last_pos + 1))).flops;
        costs.push_back(c);
    }
}

std::vector<OpTotal> op_totals(const std::vector<OpCostEvent>& costs) {
    std::map<int, OpTotal> by_op;
    for (const OpCostEvent& e : costs) {
        OpTotal& t = by_op[int(e.op)];
        t.op = e.op;
        t.flops += e.flops;
        t.bytes += e.bytes_read + e.bytes_written;
        if (e.measured_ms >= 0) t.measured_ms = (t.measured_ms < 0 ? 0.0 : t.measured_ms) + e.measured_ms;
    }
    std::vector<OpTotal> out;
    for (auto& [k, t] : by_op) out.push_back(t);
    return out;
}

}  // namespace kvs::ui
