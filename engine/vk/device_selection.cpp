#include "vk/device_selection.h"

#include <algorithm>
#include <cctype>

namespace kvs::vk {

namespace {

int rank(DeviceKind kind) {
    switch (kind) {
        case DeviceKind::Discrete: return 0;
        case DeviceKind::Integrated: return 1;
        case DeviceKind::Virtual: return 2;
        case DeviceKind::Cpu: return 3;
        case DeviceKind::Other: return 4;
    }
    return 5;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::string device_list(const std::vector<DeviceCandidate>& devices) {
    std::string s;
    for (std::size_t i = 0; i < devices.size(); ++i) {
        s += (i ? "; " : "") + std::to_string(i) + ": " + devices[i].name + " (" + to_string(devices[i].kind) + ")";
        if (!devices[i].usable) s += " unusable: " + devices[i].unusable_why;
    }
    return s;
}

bool is_index(const std::string& s) {
    return !s.empty() && s.size() < 6 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

const char* to_string(DeviceKind kind) {
    switch (kind) {
        case DeviceKind::Discrete: return "discrete GPU";
        case DeviceKind::Integrated: return "integrated GPU";
        case DeviceKind::Virtual: return "virtual GPU";
        case DeviceKind::Cpu: return "CPU";
        case DeviceKind::Other: return "other";
    }
    return "?";
}

Result<int> select_device(const std::vector<DeviceCandidate>& devices, const std::string& request) {
    if (devices.empty()) return err("no Vulkan physical devices found");
    if (is_index(request)) {
        const int i = std::stoi(request);
        if (i >= int(devices.size()))
            return err("Vulkan device index ", i, " out of range; devices: ", device_list(devices));
        if (!devices[std::size_t(i)].usable)
            return err("Vulkan device ", i, " (", devices[std::size_t(i)].name, ") is unusable: ",
                       devices[std::size_t(i)].unusable_why);
        return i;
    }
    if (!request.empty()) {
        const std::string want = lower(request);
        for (std::size_t i = 0; i < devices.size(); ++i)
            if (devices[i].usable && lower(devices[i].name).find(want) != std::string::npos) return int(i);
        return err("no usable Vulkan device matches '", request, "'; devices: ", device_list(devices));
    }
    int best = -1;
    for (std::size_t i = 0; i < devices.size(); ++i) {
        if (!devices[i].usable) continue;
        if (best < 0 || rank(devices[i].kind) < rank(devices[std::size_t(best)].kind)) best = int(i);
    }
    if (best < 0) return err("no usable Vulkan device; devices: ", device_list(devices));
    return best;
}

}  // namespace kvs::vk
