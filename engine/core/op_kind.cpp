#include "core/op_kind.h"

#include <cstring>

namespace kvs {
namespace {
struct OpName {
    const char* id;
    const char* label;
};
constexpr OpName kNames[] = {
    {"embedding", "Embedding"},
    {"attn_norm", "Attention norm"},
    {"qkv_projection", "QKV projection"},
    {"rope", "RoPE"},
    {"kv_write", "KV write"},
    {"attention_scores", "Attention scores"},
    {"softmax", "Softmax"},
    {"attention_values", "Attention x V"},
    {"output_projection", "Output projection"},
    {"residual", "Residual add"},
    {"ffn_norm", "FFN norm"},
    {"ffn_gate", "FFN gate"},
    {"ffn_up", "FFN up"},
    {"ffn_activation", "FFN activation"},
    {"ffn_down", "FFN down"},
    {"final_norm", "Final norm"},
    {"classifier", "Classifier"},
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == int(OpKind::Count));
}  // namespace

const char* to_string(OpKind op) { return op < OpKind::Count ? kNames[int(op)].id : "?"; }
const char* op_label(OpKind op) { return op < OpKind::Count ? kNames[int(op)].label : "?"; }

bool op_from_string(const char* s, OpKind& out) {
    for (int i = 0; i < int(OpKind::Count); ++i) {
        if (std::strcmp(kNames[i].id, s) == 0) {
            out = OpKind(i);
            return true;
        }
    }
    return false;
}

}  // namespace kvs
