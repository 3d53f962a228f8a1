#pragma once
// Which physical device the Vulkan backend uses: a pure function over the devices' names and
// types, so the rules can be tested without a driver.
#include <string>
#include <vector>

#include "core/result.h"

namespace kvs::vk {

enum class DeviceKind { Discrete, Integrated, Virtual, Cpu, Other };

struct DeviceCandidate {
    std::string name;
    DeviceKind kind = DeviceKind::Other;
    bool usable = true;      // has a compute queue and the features the shaders need
    std::string unusable_why;
};

// request: "" = best usable (discrete > integrated > virtual > CPU > other, then enumeration
// order); a number = that index; anything else = the first device whose name contains it
// (case-insensitive). Returns the index or an error listing the devices.
Result<int> select_device(const std::vector<DeviceCandidate>& devices, const std::string& request);

const char* to_string(DeviceKind kind);

}  // namespace kvs::vk
