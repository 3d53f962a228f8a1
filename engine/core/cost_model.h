#pragma once
// Analytic FLOPs and bytes of each op of a forward pass (see docs/COST_MODEL.md).
//
// One call covers a pass that computes n_tokens new positions starting at first_pos, attending
// over first_pos + n_tokens keys:
//   prefill of P tokens:            first_pos = 0, n_tokens = P
//   cached decode step at pos t:    first_pos = t, n_tokens = 1
//   uncached step at position t:    first_pos = 0, n_tokens = t + 1 (everything recomputed)
// Conventions: a multiply-add is 2 FLOPs; both attention matmuls (QK^T and PV) are counted;
// the classifier is its own op and runs for the last position only unless all_logits.
#include <vector>

#include "core/op_kind.h"
#include "model/model_config.h"

namespace kvs {

struct CostParams {
    int first_pos = 0;
    int n_tokens = 1;
    bool all_logits = false;   // classifier over every new position
    double weight_bytes = 4;   // bytes per weight element as stored (0.5625 for Q4_0 blocks)
    int kv_bytes = 4;          // bytes per cached K/V element
    int activation_bytes = 4;  // bytes per activation element
};

struct OpCost {
    OpKind op = OpKind::Embedding;
    int layer = -1;  // -1 for ops outside the blocks
    double flops = 0.0;
    double bytes_read = 0.0;
    double bytes_written = 0.0;
};

// Every op of the pass, block by block (layer order), then the final norm and classifier.
std::vector<OpCost> forward_costs(const ModelConfig& cfg, const CostParams& p);

struct CostTotals {
    double flops = 0.0;
    double bytes = 0.0;  // read + written
    double arithmetic_intensity() const { return bytes > 0 ? flops / bytes : 0.0; }
};
CostTotals total(const std::vector<OpCost>& costs);

}  // namespace kvs
