#include "kv/kv_usage.h"

namespace kvs {

const char* to_string(BlockEventKind k) {
    switch (k) {
        case BlockEventKind::Allocated: return "allocated";
        case BlockEventKind::Shared: return "shared";
        case BlockEventKind::Copied: return "copied";
        case BlockEventKind::Released: return "released";
        case BlockEventKind::Cached: return "cached";
        case BlockEventKind::Freed: return "freed";
        case BlockEventKind::Evicted: return "evicted";
    }
    return "?";
}

}  // namespace kvs
