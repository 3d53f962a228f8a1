// libFuzzer target: a llama2.c checkpoint (7 int32 header fields, then float32 tensors). The
// loader needs a tokenizer.bin with the header's vocabulary size: one is written for small
// vocabularies (tokens "<0>", "<1>", ...), so that well-formed checkpoints load completely.
#include <cstring>
#include <set>

#include "fuzz_input.h"
#include "model/llama2c_loader.h"

namespace {

std::string tokenizer_for(int vocab) {
    static std::set<int> written;
    const std::string name = "tokenizer-" + std::to_string(vocab) + ".bin";
    if (written.insert(vocab).second) {
        std::string bytes(4, '\0');
        const std::int32_t max_len = 16;
        std::memcpy(bytes.data(), &max_len, 4);
        for (int i = 0; i < vocab; ++i) {
            const std::string piece = "<" + std::to_string(i) + ">";
            const float score = -float(i);
            const std::int32_t len = std::int32_t(piece.size());
            bytes.append(reinterpret_cast<const char*>(&score), 4);
            bytes.append(reinterpret_cast<const char*>(&len), 4);
            bytes += piece;
        }
        kvs::fuzz::write_input(name, bytes);
    }
    return (kvs::fuzz::work_dir() / name).string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = kvs::fuzz::write_input("model.bin", data, size);
    std::int32_t vocab = 1;
    if (size >= 24) std::memcpy(&vocab, data + 20, 4);
    vocab = vocab < 0 ? (vocab == INT32_MIN ? 1 : -vocab) : vocab;
    const std::string tokenizer = tokenizer_for(vocab >= 1 && vocab <= 4096 ? vocab : 1);
    auto model = kvs::load_llama2c_model(path, tokenizer);
    if (model.ok()) kvs::fuzz::exercise(*(*model)->tokenizer);
    return 0;
}
