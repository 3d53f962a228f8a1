// kvscope-cli info: a model's configuration, parameter count, the bytes of its weights as held
// (in the file's type) and KV bytes per token.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "model_options.h"
#include "process_memory.h"

namespace kvs::cli {
namespace {

// A float as the shortest decimal that reads back as the same float (1e-05, not the double
// 9.999999747378752e-06 it widens to).
double float_as_written(float v) {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return std::strtod(std::string(buf, end).c_str(), nullptr);
}

int run_info(const std::vector<std::string>& args) {
    ArgParser p("info", "Show a model's configuration, parameter count and KV cache bytes per token.");
    add_model_options(p);
    p.flag("json", "machine-readable output");
    if (auto s = p.parse(args); !s) return fail("info", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    auto model = load_model_from_args(p);
    if (!model) return fail("info", model.message());
    const Model& m = **model;
    const ModelConfig& c = m.config;

    nlohmann::json j;
    j["name"] = c.name;
    j["source"] = m.source;
    j["format"] = m.format;
    j["architecture"] = to_string(c.arch);
    j["dim"] = c.dim;
    j["hidden_dim"] = c.hidden_dim;
    j["n_layers"] = c.n_layers;
    j["n_heads"] = c.n_heads;
    j["n_kv_heads"] = c.n_kv_heads;
    j["head_dim"] = c.head_dim();
    j["vocab_size"] = c.vocab_size;
    j["context_length"] = c.max_seq_len;
    j["norm_eps"] = float_as_written(c.norm_eps);
    if (c.arch == Architecture::Llama) {
        j["rope_theta"] = float_as_written(c.rope_theta);
        j["rope_dim"] = c.rotary_dim();
        j["rope_style"] = to_string(c.rope_style);
    }
    j["tied_classifier"] = c.tied_classifier;
    j["weights_dtype"] = m.weights.source_dtype;
    j["parameters"] = c.parameter_count();
    // What the CPU backend reads: matrices in place in the file's mapping, in their own type.
    j["weight_bytes"] = m.weights.storage_bytes();
    j["weight_bytes_per_value"] = m.weights.matrix_bytes_per_value();
    j["resident_bytes_after_load"] = resident_bytes();  // mapped weights count once touched
    j["kv_bytes_per_token_f32"] = c.kv_bytes_per_token(4);
    j["kv_bytes_per_token_f16"] = c.kv_bytes_per_token(2);
    j["kv_bytes_full_context_f16"] = c.kv_bytes_per_token(2) * c.max_seq_len;
    if (m.tokenizer) {
        j["tokenizer_vocab"] = m.tokenizer->vocab_size();
        j["bos_id"] = m.tokenizer->bos_id;
        j["eos_id"] = m.tokenizer->eos_id;
    }
    if (m.format == "synthetic") {
        j["weights"] = "random (seeded): real shapes, meaningless text";
        j["tokenizer"] = m.tokenizer_note;
    }
    if (p.is_set("json")) {
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
        std::printf("%-26s %s\n", it.key().c_str(), v.c_str());
    }
    return 0;
}

const CommandRegistration reg{"info", "show a model's config, parameter count and KV bytes per token", run_info};

}  // namespace
}  // namespace kvs::cli
