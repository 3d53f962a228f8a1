#pragma once
// The GGUF vocabulary test files in ../shared/models/gguf-vocab were stored after a text-mode
// round trip: every byte sequence that was not valid UTF-8 was replaced by U+FFFD (EF BF BD).
// Token strings survived (they are UTF-8); binary numbers with bytes >= 0x80 did not (array
// counts, a few lengths, every SentencePiece score, float metadata). The reader rightly
// rejects such files. Until intact copies replace them, the vocabulary tests rebuild clean
// GGUF files from what survived:
//   - strings and int32 arrays are recovered by a lenient scan that knows where each array
//     ends (at the next key) and resolves damaged length bytes from the data that follows;
//   - the Llama scores, which are lost, come from the same 32000-piece vocabulary in
//     llama2.c format (../shared/models/llama2-tokenizer/tokenizer.bin), checked piece by
//     piece against the recovered tokens.
#include <string>

#include "core/result.h"

namespace kvs::test {

// A GGUF vocabulary file the reader can open: `shared_gguf` itself when it is intact, or a
// clean copy rebuilt in `work_dir`. `note` says which (for the test log).
Result<std::string> usable_vocab_gguf(const std::string& shared_gguf, const std::string& work_dir, std::string& note);

}  // namespace kvs::test
