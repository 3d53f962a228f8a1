#pragma once
// Creating Vulkan and CPU backends side by side for the whole-model tests.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/backend.h"
#include "lockstep.h"
#include "model/model.h"
#include "shared_models.h"
#include "vk/vulkan_backend.h"

namespace kvs::test {

inline std::unique_ptr<VulkanBackend> make_vulkan(std::shared_ptr<const Model> model, BackendOptions o = {},
                                                  int max_chunk_rows = 0) {
    o.validation = true;
    auto b = VulkanBackend::create(std::move(model), o, max_chunk_rows);
    if (!b.ok()) qFatal("Vulkan backend: %s", b.message().c_str());
    return std::move(b).value();
}

}  // namespace kvs::test
