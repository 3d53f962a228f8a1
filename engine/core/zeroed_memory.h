#pragma once
// Memory that reads as zero and takes no room until written: pages from an anonymous mapping,
// which the OS supplies (and counts as resident) one by one as they are first written. A
// std::vector writes every element when it is created, so a KV cache sized for the whole context
// was resident in full from the start; in this memory a run holds only the blocks it has filled
// (docs/PERFORMANCE.md: 128 tokens of stories110M's 1024-position context).
#include <cstddef>

namespace kvs {

class ZeroedMemory {
public:
    ZeroedMemory() = default;
    // Throws std::bad_alloc when the system refuses the mapping, as an allocation does.
    explicit ZeroedMemory(std::size_t bytes);
    ~ZeroedMemory();
    ZeroedMemory(ZeroedMemory&& other) noexcept;
    ZeroedMemory& operator=(ZeroedMemory&& other) noexcept;
    ZeroedMemory(const ZeroedMemory&) = delete;
    ZeroedMemory& operator=(const ZeroedMemory&) = delete;

    void* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    void release();

    void* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace kvs
