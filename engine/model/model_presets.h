#pragma once
// Named model shapes (resources/presets/*.json, compiled into the binary): what kv-calc, the
// cost views and synthetic models are built from.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/model_config.h"

namespace kvs {

struct ModelPreset {
    std::string name;          // "llama-2-7b": what --preset takes
    std::string display_name;  // "Llama 2 7B"
    std::string source;        // where the numbers come from
    ModelConfig config;        // config.name == name
    std::string vocabulary;    // the real model's vocabulary ("llama2", "gpt2", "mistral"); empty if
                               // not given. Synthetic models borrow it when kvscope can find it
                               // (model/synthetic_vocabulary.h).
};

// Parses one preset file's text; `origin` names it in errors ("llama-2-7b.json").
Result<ModelPreset> parse_model_preset(std::string_view json_text, const std::string& origin);

// Every embedded preset, sorted by name (parsed once).
Result<std::vector<ModelPreset>> model_presets();
std::vector<std::string> model_preset_names();
// The preset called `name`; the error lists the valid names.
Result<ModelPreset> find_model_preset(const std::string& name);

}  // namespace kvs
