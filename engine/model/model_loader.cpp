// load_model: picks the loader from what the path is.
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

#include "model/gguf_loader.h"
#include "model/llama2c_loader.h"
#include "model/model.h"

#if __has_include("model/hf_loader.h")
#include "model/hf_loader.h"
#define KVSCOPE_HAVE_HF_LOADER 1
#endif

namespace kvs {

namespace {

Result<std::shared_ptr<Model>> load_by_kind(const std::string& path, const LoadOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) return err("cannot open '", path, "': no such file or directory");
    if (fs::is_directory(path, ec)) {
#ifdef KVSCOPE_HAVE_HF_LOADER
        return load_hf_model(path, options);
#else
        return err("'", path, "' is a directory; Hugging Face folders are not supported in this build");
#endif
    }
    char magic[4] = {};
    std::ifstream f(path, std::ios::binary);
    if (!f) return err("cannot open '", path, "': permission denied or unreadable");
    f.read(magic, 4);
    if (f.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0) return load_gguf_model(path);
    // A file named as GGUF is judged as one: its own error, not a llama2.c header complaint.
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".gguf") {
        std::string seen;
        for (std::streamsize i = 0; i < f.gcount(); ++i) {
            const unsigned char b = static_cast<unsigned char>(magic[i]);
            char hex[8];
            std::snprintf(hex, sizeof hex, "%s%02X", i ? " " : "", b);
            seen += hex;
        }
        return err("'", path, "' is not a GGUF file: it starts with bytes ", seen.empty() ? "(none: empty file)" : seen,
                   ", a GGUF file with 'GGUF' (47 47 55 46)");
    }
    return load_llama2c_model(path, options.tokenizer_path);
}

}  // namespace

// The loaders return errors as values; this is the net under them, so that no exception (an
// allocation the checks did not foresee, a library throwing) crosses the engine API.
Result<std::shared_ptr<Model>> load_model(const std::string& path, const LoadOptions& options) {
    try {
        return load_by_kind(path, options);
    } catch (const std::bad_alloc&) {
        return err("'", path, "': out of memory while loading the model");
    } catch (const std::exception& e) {
        return err("'", path, "': cannot be loaded: ", e.what());
    }
}

}  // namespace kvs
