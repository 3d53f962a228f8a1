#include "core/backend.h"

#include <algorithm>

namespace kvs {

bool AttentionCapture::wants(int layer, int head) const {
    if (mode == Mode::Off) return false;
    auto has = [](const std::vector<int>& v, int x) { return v.empty() || std::find(v.begin(), v.end(), x) != v.end(); };
    return has(layers, layer) && has(heads, head);
}

KvLayout cache_layout(const ModelConfig& cfg, const BackendOptions& options, KvDtype dtype) {
    KvLayout layout;
    layout.n_layers = cfg.n_layers;
    layout.n_kv_heads = cfg.n_kv_heads;
    layout.head_dim = cfg.head_dim();
    layout.capacity = options.kv_capacity > 0 ? std::min(options.kv_capacity, cfg.max_seq_len)
                                              : std::min(cfg.max_seq_len, kDefaultMaxKvCapacity);
    layout.batch = 1;
    layout.dtype = dtype;
    return layout;
}

}  // namespace kvs
