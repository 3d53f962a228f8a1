#pragma once
// Writes a kvs::Model as a Hugging Face folder (config.json, safetensors, tokenizer) the way
// transformers saves one, so that the HF loader can be checked by round trip.
#include <string>
#include <vector>

#include "core/result.h"
#include "model/model.h"

namespace kvs::test {

struct HfWriteOptions {
    std::string dtype = "F32";  // every tensor: F32, F16 or BF16
    int shards = 1;             // > 1: model-0000N-of-0000M.safetensors + model.safetensors.index.json
    std::vector<std::string> omit_tensors;
    // Llama-style only: "llama", "mistral" or "qwen2" (Q/K/V biases are written when the model has them).
    std::string model_type = "llama";
    int sliding_window = 0;  // mistral: written when > 0
    // GPT-2 only.
    bool transformer_prefix = true;  // GPT2LMHeadModel names ("transformer.h.0...") or GPT2Model ("h.0...")
    bool mask_buffers = false;       // attn.bias [1, 1, n_positions, n_positions] and attn.masked_bias []
    bool write_lm_head = true;       // lm_head.weight (the model's classifier matrix)
    bool tie_word_embeddings = false;
    bool tokenizer_json = false;     // tokenizer.json instead of vocab.json + merges.txt
};

// A Llama model loaded from llama2.c (adjacent-pair RoPE) written as HF Llama: Q and K rows
// (and their biases) permuted for rotate-half RoPE, tokenizer.json with merges derived from
// the piece scores.
Status write_hf_llama(const Model& model, const std::string& dir, const HfWriteOptions& options = {});

// A GPT-2 model written as HF GPT-2 (Conv1D weights stored [in, out]).
Status write_hf_gpt2(const Model& model, const std::string& dir, const HfWriteOptions& options = {});

// Rows of a [n_heads * head_dim, cols] Q or K matrix reordered from adjacent-pair RoPE to
// rotate-half RoPE, as transformers' convert_llama_weights_to_hf does.
Tensor permute_for_half_rotation(const Tensor& w, int n_heads);

}  // namespace kvs::test
