#pragma once
// Shared by the libFuzzer targets: the loaders read files (GGUF and safetensors are mapped, HF
// folders are read by name), so each input is written to a file of this process first.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer.h"

namespace kvs::fuzz {

// A folder of this process, in /dev/shm when there is one (no disk writes per input).
inline const std::filesystem::path& work_dir() {
    static const std::filesystem::path dir = [] {
        std::error_code ec;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                               ? std::filesystem::path("/dev/shm")
                                               : std::filesystem::temp_directory_path();
        auto d = base / ("kvscope-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        // The folder goes when the process ends normally (libFuzzer exits through exit()).
        std::atexit([] {
            std::error_code e;
            std::filesystem::remove_all(work_dir(), e);
        });
        return d;
    }();
    return dir;
}

// Writes bytes to work_dir()/name and returns the path.
inline std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
    const std::string path = (work_dir() / name).string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path;
}
inline std::string write_input(const std::string& name, std::string_view text) {
    return write_input(name, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// What a loaded tokenizer is asked to do: encode a text that touches spaces, digits, UTF-8 and
// a byte that is not UTF-8, then decode and label every id.
inline void exercise(const Tokenizer& t) {
    static const std::string_view texts[] = {"Hello world, 123!", " a  b\n\tc", "\xC3\xA9t\xC3\xA9 \xE2\x96\x81x",
                                             "\xFF\xFE", ""};
    for (std::string_view text : texts) {
        const std::vector<int> ids = t.encode_prompt(text);
        int prev = -1;
        for (int id : ids) {
            if (id < 0 || id >= t.vocab_size()) std::abort();  // an encoder must stay in its vocabulary
            (void)t.decode_piece(prev, id);
            (void)t.token_label(id);
            prev = id;
        }
    }
}

}  // namespace kvs::fuzz
