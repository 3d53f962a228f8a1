#pragma once
// The engine's GGUF model writer (model/gguf_model_writer.h), under the names the tests use.
#include "model/gguf_model_writer.h"

namespace kvs::test {
using kvs::GgufModelWriteOptions;
using kvs::write_model_gguf;
}  // namespace kvs::test
