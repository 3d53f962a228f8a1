// libFuzzer target: a Hugging Face tokenizer.json (byte-level or SentencePiece-style BPE),
// loaded, then used to encode and decode.
#include "fuzz_input.h"
#include "model/hf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kvs::fuzz::write_input("tokenizer.json", data, size);
    auto tok = kvs::load_hf_tokenizer(kvs::fuzz::work_dir().string(), {});
    if (tok.ok()) kvs::fuzz::exercise(**tok);
    return 0;
}
