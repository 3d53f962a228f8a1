#pragma once
// The engine's GGUF writer (model/gguf_writer.h), under the names the tests use.
#include "model/gguf_writer.h"

namespace kvs::test {
using kvs::encode_tensor;
using kvs::GgufWriter;
using kvs::write_file;
}  // namespace kvs::test
