// libFuzzer target: a GGUF file through the reader and the whole model loader (metadata,
// tensor table, conversion of every tensor, tokenizer).
#include "fuzz_input.h"
#include "model/gguf_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = kvs::fuzz::write_input("model.gguf", data, size);
    auto model = kvs::load_gguf_model(path);
    if (model.ok() && (*model)->tokenizer) kvs::fuzz::exercise(*(*model)->tokenizer);
    return 0;
}
