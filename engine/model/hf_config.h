#pragma once
// config.json of a Hugging Face folder: model_type gpt2, or llama and its close relatives
// (mistral, qwen2), mapped onto ModelConfig.
#include <string>
#include <vector>

#include "core/result.h"
#include "model/model_config.h"

namespace kvs {

struct HfConfig {
    ModelConfig model;
    std::string model_type;
    int bos_id = -1;           // bos_token_id, -1 when absent
    std::vector<int> eos_ids;  // eos_token_id (an int or a list)
};

Result<HfConfig> read_hf_config(const std::string& dir);

}  // namespace kvs
