#pragma once
// FLOPs and bytes of the steps of a run, for the compute view and the exports: from the
// run's OpCostEvents when it reported them, otherwise from the cost model.
#include <vector>

#include "core/cost_model.h"
#include "core/events.h"

namespace kvs::ui {

class RunData;

struct StepCost {
    int step = 0;
    Phase phase = Phase::Prefill;
    int first_pos = 0;
    int n_positions = 0;
    double flops = 0.0;
    double bytes = 0.0;           // read + written
    double uncached_flops = 0.0;  // the same token computed without a cache (whole sequence again)
    double measured_ms = -1.0;    // sum of measured op times, -1 when not measured
};

// The cost-model parameters of a run (bytes per cached element from its KV layout).
CostParams cost_params_for(const RunStarted& run, int first_pos, int n_tokens);

// One entry per finished step, in order.
std::vector<StepCost> step_costs(const RunData& run);
// Brings `costs` up to date with the run by computing only the steps it lacks (a view that
// redraws while a run streams in keeps its vector; a cleared or new run starts it over).
void append_step_costs(const RunData& run, std::vector<StepCost>& costs);

// Op costs of one step summed over layers, one entry per op kind that occurs, in op order.
struct OpTotal {
    OpKind op = OpKind::Embedding;
    double flops = 0.0;
    double bytes = 0.0;
    double measured_ms = -1.0;
};
std::vector<OpTotal> op_totals(const std::vector<OpCostEvent>& costs);

}  // namespace kvs::ui
