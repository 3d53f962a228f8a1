#include "model/model_limits.h"

#include <limits>
#include <set>

#include "core/memory_budget.h"

namespace kvs {

int count_layers_with_tensors(const std::vector<std::string>& names, std::string_view prefix) {
    std::set<std::string_view> layers;
    for (const std::string& name : names) {
        const std::string_view n(name);
        if (n.size() <= prefix.size() || n.substr(0, prefix.size()) != prefix) continue;
        const std::string_view rest = n.substr(prefix.size());
        const std::size_t dot = rest.find('.');
        if (dot == 0 || dot == std::string_view::npos) continue;
        const std::string_view index = rest.substr(0, dot);
        if (index.find_first_not_of("0123456789") == std::string_view::npos) layers.insert(index);
    }
    return int(layers.size());
}

Status check_layer_count(int n_layers, int layers_present, const std::string& origin, const std::string& key,
                         std::string_view prefix, std::string_view holder) {
    if (n_layers <= layers_present) return {};
    return err(origin, ": ", key, " is ", n_layers, " but ", holder, " holds tensors for ", layers_present,
               layers_present == 1 ? " layer" : " layers", " (", prefix, "N.*)");
}

Status check_weights_fit(const ModelConfig& config, const std::string& origin) {
    const std::int64_t params = config.parameter_count();
    const std::int64_t bytes = params > std::numeric_limits<std::int64_t>::max() / 4 ? std::numeric_limits<std::int64_t>::max() : params * 4;
    return check_fits_in_memory(bytes, origin + ": the weights (" + std::to_string(params) + " parameters as F32)",
                                "kvscope keeps every weight as F32 in memory");
}

}  // namespace kvs
