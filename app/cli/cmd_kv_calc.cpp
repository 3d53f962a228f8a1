// kvscope-cli kv-calc: KV cache memory of a model shape, with the formula filled in.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arg_parser.h"
#include "command_registry.h"
#include "core/kv_footprint.h"
#include "model/model_presets.h"

namespace kvs::cli {
namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "kv-calc: %s\n", message.c_str());
    return 1;
}

std::string preset_list() {
    std::string s;
    for (const auto& n : model_preset_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

int run_kv_calc(const std::vector<std::string>& args) {
    ArgParser p("kv-calc", "KV cache bytes per token and in total: 2 x layers x kv_heads x head_dim x tokens x batch x "
                           "bytes per value.");
    p.option("preset", "NAME", "model shape from a preset (" + preset_list() + ")")
        .option("layers", "N", "layers (overrides the preset)")
        .option("kv-heads", "N", "key/value heads (overrides the preset; GQA models have fewer than query heads)")
        .option("head-dim", "N", "dimensions per head (overrides the preset)")
        .option("tokens", "S", "cached positions per sequence (default: the preset's context length, else 4096)")
        .option("batch", "B", "sequences", "1")
        .option("dtype", "TYPE", "stored type: f32, f16, bf16, q8_0, fp8, int4", "f16")
        .flag("json", "print a JSON object instead of text");
    if (auto st = p.parse(args); !st.ok()) return fail(st.message());
    if (p.help_requested()) {
        std::fputs(p.help().c_str(), stdout);
        return 0;
    }

    KvShape shape;
    std::string model_name = "custom";
    std::int64_t tokens = 4096;
    if (p.has("preset")) {
        auto preset = find_model_preset(p.get("preset"));
        if (!preset.ok()) return fail(preset.message());
        shape = {preset->config.n_layers, preset->config.n_kv_heads, preset->config.head_dim()};
        tokens = preset->config.max_seq_len;
        model_name = preset->name;
    } else if (!p.has("layers") || !p.has("kv-heads") || !p.has("head-dim")) {
        return fail("give --preset NAME, or all of --layers, --kv-heads and --head-dim (see kv-calc --help)");
    }
    auto override_int = [&](const char* name, int& slot) -> Status {
        if (!p.has(name)) return {};
        KVS_ASSIGN(slot, p.get_int(name));
        return {};
    };
    int tokens_arg = int(tokens), batch = 1;
    for (auto st : {override_int("layers", shape.n_layers), override_int("kv-heads", shape.n_kv_heads),
                    override_int("head-dim", shape.head_dim), override_int("tokens", tokens_arg)})
        if (!st.ok()) return fail(st.message());
    auto b = p.get_int("batch");
    if (!b.ok()) return fail(b.message());
    batch = *b;
    tokens = tokens_arg;
    auto type = find_kv_storage_type(p.get("dtype"));
    if (!type.ok()) return fail(type.message());
    auto f = kv_footprint(shape, tokens, batch, *type);
    if (!f.ok()) return fail(f.message());

    if (p.is_set("json")) {
        nlohmann::json j = {{"model", model_name},
                            {"layers", shape.n_layers},
                            {"kv_heads", shape.n_kv_heads},
                            {"head_dim", shape.head_dim},
                            {"tokens", tokens},
                            {"batch", batch},
                            {"dtype", type->name},
                            {"bytes_per_element", type->bytes_per_element()},
                            {"bytes_per_token", f->bytes_per_token},
                            {"total_bytes", f->total_bytes},
                            {"formula", f->formula}};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model:            %s (%d layers, %d KV heads, head_dim %d)\n", model_name.c_str(), shape.n_layers,
                shape.n_kv_heads, shape.head_dim);
    std::printf("dtype:            %s (%s)\n", type->name.c_str(), type->description.c_str());
    std::printf("per token:        %s bytes = %s = %s\n", group_thousands(f->bytes_per_token).c_str(),
                format_binary_bytes(double(f->bytes_per_token)).c_str(),
                format_decimal_bytes(double(f->bytes_per_token)).c_str());
    std::printf("total:            %s\n", f->formula.c_str());
    std::printf("                  = %s = %s\n", format_binary_bytes(double(f->total_bytes)).c_str(),
                format_decimal_bytes(double(f->total_bytes)).c_str());
    return 0;
}

const CommandRegistration kRegistration{"kv-calc", "KV cache memory of a model shape (formula, units, JSON)",
                                        run_kv_calc};

}  // namespace
}  // namespace kvs::cli
