// kvscope-cli write-model: a model (synthetic or loaded) written as a llama2.c checkpoint or as
// GGUF in a chosen weight type, so that another program (llama2.c, llama.cpp) runs exactly the
// weights kvscope runs.
#include <cstdio>
#include <filesystem>

#include "command_registry.h"
#include "model/gguf_model_writer.h"
#include "model/llama2c_writer.h"
#include "model/weight_type.h"
#include "model_options.h"

namespace kvs::cli {
namespace {

int run_write_model(const std::vector<std::string>& args) {
    ArgParser p("write-model",
                "Write a model as a llama2.c checkpoint (F32, with a tokenizer.bin) or as GGUF with its matrices in "
                "one weight type (block types need rows that are whole blocks; other matrices are written as F16).");
    add_model_options(p);
    p.option("out", "PATH", "the file to write")
        .option("format", "FORMAT", "llama2c or gguf", "gguf")
        .option("type", "TYPE", "GGUF matrix type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k", "f32")
        .option("tokenizer-out", "PATH", "llama2c: where the tokenizer goes (default: tokenizer.bin beside --out)");
    if (auto s = p.parse(args); !s) return fail("write-model", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    if (!p.has("out")) return fail("write-model", "no output given: pass --out PATH");
    const std::string out = p.get("out"), format = p.get("format");
    if (format != "llama2c" && format != "gguf")
        return fail("write-model", "--format expects llama2c or gguf, got '" + format + "'");
    const auto type = weight_type_from_name(p.get("type"));
    if (!type) return fail("write-model", "--type: unknown weight type '" + p.get("type") + "' (" + weight_type_list() + ")");
    if (format == "llama2c" && *type != WeightType::F32)
        return fail("write-model", "llama2.c checkpoints are F32; --type " + p.get("type") + " needs --format gguf");
    if (*type == WeightType::Q2_K || *type == WeightType::Q3_K)
        return fail("write-model", "Q2_K and Q3_K are read but not written");
    auto model = load_model_from_args(p);
    if (!model) return fail("write-model", model.message());

    if (format == "llama2c") {
        std::string tok = p.get("tokenizer-out");
        if (tok.empty()) tok = (std::filesystem::path(out).parent_path() / "tokenizer.bin").string();
        if (auto s = write_llama2c_checkpoint(**model, out); !s) return fail("write-model", s.message());
        if (auto s = write_llama2c_tokenizer(**model, tok); !s) return fail("write-model", s.message());
        std::printf("wrote %s (%lld bytes) and %s\n", out.c_str(), static_cast<long long>(std::filesystem::file_size(out)),
                    tok.c_str());
        return 0;
    }
    GgufModelWriteOptions o;
    o.matrix_type = GgmlType(weight_type_info(*type).ggml_id);
    if (auto s = write_model_gguf(**model, out, o); !s) return fail("write-model", s.message());
    std::printf("wrote %s (%lld bytes)\n", out.c_str(), static_cast<long long>(std::filesystem::file_size(out)));
    return 0;
}

const CommandRegistration reg{"write-model", "write a model as a llama2.c checkpoint or GGUF in a chosen type",
                              run_write_model};

}  // namespace
}  // namespace kvs::cli
