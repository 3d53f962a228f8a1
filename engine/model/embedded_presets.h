#pragma once
// The preset JSON files of resources/presets, compiled into the engine by CMake (see
// engine/CMakeLists.txt and embedded_presets.cpp.in) so an installed binary needs no source tree.
#include <span>

namespace kvs {

struct EmbeddedPreset {
    const char* file;  // "llama-2-7b.json"
    const char* json;  // the file's text
};

std::span<const EmbeddedPreset> embedded_presets();

}  // namespace kvs
