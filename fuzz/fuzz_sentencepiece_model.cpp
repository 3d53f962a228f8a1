// libFuzzer target: a SentencePiece tokenizer.model (a serialized protobuf ModelProto), read
// with the project's wire reader, then used to encode and decode.
#include "fuzz_input.h"
#include "model/sentencepiece_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = kvs::fuzz::write_input("tokenizer.model", data, size);
    auto tok = kvs::load_sentencepiece_model(path);
    if (tok.ok()) kvs::fuzz::exercise(**tok);
    return 0;
}
