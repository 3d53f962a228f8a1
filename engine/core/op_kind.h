#pragma once
// The operations of a forward pass, as the cost model, the timings and the views name them.

namespace kvs {

enum class OpKind {
    Embedding,         // token (+ position) embedding lookup
    AttnNorm,          // RMSNorm / LayerNorm before attention
    QkvProjection,     // x -> Q, K, V (plus biases)
    Rope,              // rotary position embedding of Q and K
    KvWrite,           // storing K and V of the new positions in the cache
    AttentionScores,   // Q K^T / sqrt(d), causal mask
    Softmax,           // softmax over each score row
    AttentionValues,   // probabilities x V
    OutputProjection,  // attention output x Wo
    Residual,          // residual adds
    FfnNorm,           // RMSNorm / LayerNorm before the FFN
    FfnGate,           // SwiGLU gate projection (Llama)
    FfnUp,             // up projection (Llama w3, GPT-2 c_fc)
    FfnActivation,     // SiLU * up (SwiGLU) or GELU
    FfnDown,           // down projection
    FinalNorm,         // the norm before the classifier
    Classifier,        // hidden -> vocabulary logits
    Count
};

const char* to_string(OpKind op);    // "qkv_projection"
const char* op_label(OpKind op);     // "QKV projection"
bool op_from_string(const char* s, OpKind& out);

}  // namespace kvs
