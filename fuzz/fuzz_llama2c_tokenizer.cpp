// libFuzzer target: a llama2.c tokenizer.bin (int32 max_token_length, then per token: float32
// score, int32 length, bytes). The loader takes the vocabulary size from the model; here it is
// the number of whole records the input holds, so that well-formed inputs load.
#include <cstring>

#include "fuzz_input.h"
#include "model/llama2c_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int records = 0;
    for (std::size_t off = 4; off + 8 <= size && records < (1 << 20); ++records) {
        std::int32_t len = 0;
        std::memcpy(&len, data + off + 4, 4);
        if (len < 0 || std::size_t(len) > size - off - 8) break;
        off += 8 + std::size_t(len);
    }
    const std::string path = kvs::fuzz::write_input("tokenizer.bin", data, size);
    // One record more than found, too: the loader must report the truncation.
    for (int vocab : {records, records + 1}) {
        if (vocab <= 0) continue;
        auto tok = kvs::load_llama2c_tokenizer(path, vocab);
        if (tok.ok()) kvs::fuzz::exercise(**tok);
    }
    return 0;
}
