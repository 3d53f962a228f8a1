#include "core/backend.h"

#include <algorithm>

namespace kvs {

bool AttentionCapture::wants(int layer, int head) const {
    if (mode == Mode::Off) return false;
    auto has = [](const std::vector<int>& v, int x) { return v.empty() || std::find(v.begin(), v.end(), x) != v.end(); };
    return has(layers, layer) && has(heads, head);
}

}  // namespace kvs
