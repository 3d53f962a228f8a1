// libFuzzer target: vocab.json + merges.txt (GPT-2's byte-level BPE files). The input is both
// files: vocab.json up to the first NUL byte, merges.txt after it.
#include <algorithm>

#include "fuzz_input.h"
#include "model/hf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::uint8_t* nul = std::find(data, data + size, std::uint8_t(0));
    kvs::fuzz::write_input("vocab.json", data, std::size_t(nul - data));
    const std::size_t rest = nul == data + size ? 0 : std::size_t(data + size - nul - 1);
    kvs::fuzz::write_input("merges.txt", nul + (rest > 0 ? 1 : 0), rest);
    auto tok = kvs::load_hf_tokenizer(kvs::fuzz::work_dir().string(), {});
    if (tok.ok()) kvs::fuzz::exercise(**tok);
    return 0;
}
