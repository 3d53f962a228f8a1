#pragma once
// A copy of the cached K and V of one sequence, layer and KV head, taken on the engine thread
// (Backend::read_kv) and delivered by value to the cache inspector.
#include <QMetaType>
#include <vector>

namespace kvs::ui {

struct KvSnapshot {
    int sequence = 0;  // its id in the KV pool
    int layer = 0;
    int kv_head = 0;
    int length = 0;    // positions in the cache
    int head_dim = 0;
    std::vector<float> keys;    // [length, head_dim] row-major
    std::vector<float> values;  // [length, head_dim] row-major
};

}  // namespace kvs::ui

Q_DECLARE_METATYPE(kvs::ui::KvSnapshot)
