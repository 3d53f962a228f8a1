#include "kv/kv_cache.h"

#include <cassert>

namespace kvs {

KvCache::KvCache(const KvLayout& layout) : layout_(layout), data_(std::size_t(layout.total_elements()), 0.0f) {
    assert(layout.dtype == KvDtype::F32 && "host storage holds F32 values");
}

void KvCache::set_length(int length) {
    assert(length >= 0 && length <= layout_.capacity);
    length_ = length;
}

}  // namespace kvs
