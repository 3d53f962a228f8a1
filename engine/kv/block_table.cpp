#include "kv/block_table.h"

#include <algorithm>
#include <cassert>

namespace kvs {

BlockTable::BlockTable(int block_size, std::vector<int> blocks, int length)
    : block_size_(block_size), length_(length), blocks_(std::move(blocks)) {
    assert(block_size > 0 && length >= 0 && std::int64_t(length) <= std::int64_t(blocks_.size()) * block_size);
}

int BlockTable::last_block_fill() const {
    if (length_ == 0) return 0;
    const int r = length_ % block_size_;
    return r == 0 ? block_size_ : r;
}

}  // namespace kvs
