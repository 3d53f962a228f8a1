// libFuzzer target: a safetensors file (8-byte header length, JSON header, data) opened and
// every tensor converted to F32.
#include "fuzz_input.h"
#include "model/safetensors_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = kvs::fuzz::write_input("model.safetensors", data, size);
    auto file = kvs::SafetensorsFile::open(path);
    if (!file.ok()) return 0;
    for (const auto& [name, tensor] : file->tensors()) (void)kvs::safetensors_to_f32(tensor, path);
    return 0;
}
