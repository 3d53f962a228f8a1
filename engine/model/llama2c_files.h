#pragma once
// Recognising llama2.c files on disk, shared by the loader (a checkpoint given without its
// tokenizer) and the application's model discovery, so both follow one rule.
#include <string>

namespace kvs {

// The first 28 bytes are a plausible llama2.c header (positive dims, heads dividing dim, a
// context up to 2^22) and the file holds at least the token embedding it announces.
bool looks_like_llama2c_checkpoint(const std::string& path);

// The tokenizer that goes with a checkpoint, found beside it: `tokenizer.bin`, else the first
// `tok*.bin` (by name) that is not itself a checkpoint (karpathy/tinyllamas ships stories260K
// with `tok512.bin`), else a SentencePiece `tokenizer.model`. Empty when there is none.
std::string llama2c_tokenizer_beside(const std::string& checkpoint);

}  // namespace kvs
