#pragma once
// Hugging Face tensor names mapped onto ModelWeights: GPT-2 ("transformer.h.N.attn.c_attn",
// Conv1D [in, out], with or without the "transformer." prefix) and Llama-style models
// ("model.layers.N.self_attn.q_proj", Linear [out, in]).
#include "core/result.h"
#include "model/hf_checkpoint.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace kvs {

// Reads every weight the config calls for; may set config.tied_classifier when the folder
// has no separate lm_head.weight.
Result<ModelWeights> read_hf_weights(const HfCheckpoint& checkpoint, ModelConfig& config);

}  // namespace kvs
