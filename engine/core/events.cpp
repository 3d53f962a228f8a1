#include "core/events.h"

namespace kvs {

const char* event_type_name(const Event& e) {
    struct Visitor {
        const char* operator()(const RunStarted&) const { return "run_started"; }
        const char* operator()(const StepStarted&) const { return "step_started"; }
        const char* operator()(const StepFinished&) const { return "step_finished"; }
        const char* operator()(const KvAppend&) const { return "kv_append"; }
        const char* operator()(const AttentionEvent&) const { return "attention"; }
        const char* operator()(const OpCostEvent&) const { return "op_cost"; }
        const char* operator()(const RunFinished&) const { return "run_finished"; }
        const char* operator()(const BlockEvent&) const { return "block"; }
        const char* operator()(const PrefixHit&) const { return "prefix_hit"; }
        const char* operator()(const PoolState&) const { return "pool_state"; }
        const char* operator()(const Rewound&) const { return "rewound"; }
        const char* operator()(const BreakpointHit&) const { return "breakpoint_hit"; }
        const char* operator()(const BranchChanged&) const { return "branch_changed"; }
    };
    return std::visit(Visitor{}, e);
}

const char* to_string(BranchChanged::Kind k) {
    switch (k) {
        case BranchChanged::Kind::Created: return "created";
        case BranchChanged::Kind::Switched: return "switched";
        case BranchChanged::Kind::Dropped: return "dropped";
    }
    return "";
}

}  // namespace kvs
