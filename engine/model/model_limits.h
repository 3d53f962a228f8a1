#pragma once
// Sizes read from a model file's header, checked before anything is sized by them: the layer
// count against the layers the file holds tensors for (a header claiming 2^31 layers must not
// size per-layer tables), the weights against available memory.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/model_config.h"

namespace kvs {

// How many distinct layer indices N appear in tensor names "<prefix>N.<anything>".
int count_layers_with_tensors(const std::vector<std::string>& names, std::string_view prefix);

// An error when the header's layer count exceeds the layers with tensors:
// "<origin>: <key> is 2147483647 but <holder> holds tensors for 1 layer (blk.N.*)".
Status check_layer_count(int n_layers, int layers_present, const std::string& origin, const std::string& key,
                         std::string_view prefix, std::string_view holder = "the file");

// The loaders keep every weight as F32 on the host: parameter_count() x 4 bytes must fit in
// available memory.
Status check_weights_fit(const ModelConfig& config, const std::string& origin);

}  // namespace kvs
