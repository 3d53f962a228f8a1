#pragma once
// A whole file mapped read-only into memory. Weight files can be gigabytes; mapping lets the
// loaders read tensors in place without a second copy, and the OS pages in only what is used.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace kvs {

class ReadOnlyMapping {
public:
    ReadOnlyMapping() = default;
    ~ReadOnlyMapping();
    ReadOnlyMapping(ReadOnlyMapping&& other) noexcept;
    ReadOnlyMapping& operator=(ReadOnlyMapping&& other) noexcept;
    ReadOnlyMapping(const ReadOnlyMapping&) = delete;
    ReadOnlyMapping& operator=(const ReadOnlyMapping&) = delete;

    // Maps `path`; an empty file gives an empty (but valid) mapping.
    static Result<ReadOnlyMapping> open(const std::string& path);

    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
    std::size_t size() const { return size_; }

private:
    void release();

    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace kvs
