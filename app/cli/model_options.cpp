#include "model_options.h"

#include "model/prompt_check.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "model/model_search_path.h"
#include "model/synthetic_model.h"

namespace kvs::cli {

void add_model_options(ArgParser& p) {
    p.option("model", "PATH", "model: llama2.c .bin, GGUF file, or Hugging Face folder")
        .option("tokenizer", "PATH", "tokenizer for formats without one (llama2.c tokenizer.bin); for --synthetic a "
                                     "tokenizer file or folder, or 'bytes' (default: the preset's real vocabulary, "
                                     "found in ../shared/models or $KVSCOPE_MODEL_PATH)")
        .option("synthetic", "PRESET", "build a model with a preset's real shapes and seeded random weights")
        .option("layers", "N", "synthetic: override the preset's layer count", "0")
        .option("seed-weights", "N", "synthetic: seed of the random weights", "1234");
}

Result<std::shared_ptr<Model>> load_model_from_args(const ArgParser& p) {
    if (p.has("synthetic")) {
        SyntheticOptions options;
        KVS_ASSIGN(options.layers, p.get_int("layers"));
        KVS_ASSIGN(int seed, p.get_int("seed-weights"));
        options.seed = std::uint64_t(seed);
        options.tokenizer = p.get("tokenizer");
        options.search_dirs = default_model_search_dirs();
        KVS_ASSIGN(auto model, make_synthetic_model(p.get("synthetic"), options));
        std::fprintf(stderr, "kvscope: %s has random weights (seed %d): real shapes, meaningless text; tokenizer: %s\n",
                     model->source.c_str(), seed, model->tokenizer_note.c_str());
        return model;
    }
    if (!p.has("model")) return err("no model given: pass --model PATH or --synthetic PRESET");
    LoadOptions options;
    options.tokenizer_path = p.get("tokenizer");
    return load_model(p.get("model"), options);
}

void add_backend_options(ArgParser& p) {
    p.option("backend", "NAME", "cpu or vulkan (vulkan falls back to cpu with the reason)", "cpu")
        .option("device", "ID", "Vulkan device index or name substring (env KVSCOPE_VK_DEVICE)")
        .flag("f16", "Vulkan: store F32 weight matrices as F16 on the device (other types stay as stored)")
        .option("kv-dtype", "T", "KV cache element type: f32 or f16 (either backend; f16 halves the cache)", "f32")
        .option("ctx", "N", "KV cache capacity in positions per sequence (0 = the model's context length, at most 32768)",
                "0")
        .option("block-size", "N", "positions per KV block (paged cache); 0 = one contiguous block per sequence", "16")
        .option("kv-blocks", "N", "physical KV blocks in the pool (0 = enough for every sequence at full length)", "0")
        .flag("prefix-cache", "share the KV blocks of equal prompt prefixes between sequences and runs")
        .option("block-order", "ORDER", "order a fresh pool hands out blocks: ascending, descending or shuffled "
                                        "(results do not depend on it; speed may)", "ascending")
        .flag("validation", "Vulkan: enable the validation layer")
        .option("threads", "N", "CPU: threads of the forward pass (0 = every core)", "0");
}

Result<BackendOptions> backend_options_from_args(const ArgParser& p) {
    BackendOptions o;
    KVS_ASSIGN(o.kv_capacity, p.get_int("ctx"));
    const std::string dtype = p.get("kv-dtype");
    if (dtype == "f32") o.kv_dtype = KvDtype::F32;
    else if (dtype == "f16") o.kv_dtype = KvDtype::F16;
    else return err("--kv-dtype expects f32 or f16, got '", dtype, "'");
    KVS_ASSIGN(o.block_size, p.get_int("block-size"));
    KVS_ASSIGN(o.kv_blocks, p.get_int("kv-blocks"));
    if (o.block_size < 0) return err("--block-size must be >= 0 (0 = contiguous), got ", o.block_size);
    if (o.kv_blocks < 0) return err("--kv-blocks must be >= 0, got ", o.kv_blocks);
    o.prefix_cache = p.is_set("prefix-cache");
    const std::string order = p.get("block-order");
    if (order == "ascending") o.block_order = BlockOrder::Ascending;
    else if (order == "descending") o.block_order = BlockOrder::Descending;
    else if (order == "shuffled") o.block_order = BlockOrder::Shuffled;
    else return err("--block-order expects ascending, descending or shuffled, got '", order, "'");
    o.f16_weights = p.is_set("f16");
    o.device = p.get("device");
    o.validation = p.is_set("validation");
    KVS_ASSIGN(o.threads, p.get_int("threads"));
    if (o.threads < 0 || o.threads > 256) return err("--threads expects 0 (every core) to 256, got ", o.threads);
    return o;
}

Result<std::unique_ptr<Backend>> create_backend_from_args(const ArgParser& p, std::shared_ptr<const Model> model,
                                                          bool measure_ops, int sequences) {
    KVS_ASSIGN(BackendOptions o, backend_options_from_args(p));
    o.measure_ops = measure_ops;
    o.max_sequences = std::max(1, sequences);
    std::string reason;
    const int context = model->config.max_seq_len;
    auto backend = create_backend(p.get("backend"), std::move(model), o, &reason);
    if (backend.ok() && !reason.empty()) std::fprintf(stderr, "%s\n", reason.c_str());
    if (backend.ok() && o.kv_capacity == 0 && (*backend)->kv_layout().capacity < context)
        std::fprintf(stderr, "kvscope: the KV cache holds %d of the model's %d positions (--ctx N for another size)\n",
                     (*backend)->kv_layout().capacity, context);
    return backend;
}

void add_generation_options(ArgParser& p) {
    p.option("prompt", "TEXT", "prompt text", "")
        .option("n", "N", "number of new tokens to generate", "256", "n")
        .option("temperature", "T", "sampling temperature; 0 = greedy", "1.0")
        .option("top-k", "K", "sample among the K most likely tokens (0 = off)", "0")
        .option("top-p", "P", "nucleus sampling mass (1 = off)", "0.9")
        .option("seed", "N", "sampling seed", "42")
        .flag("no-cache", "recompute the whole sequence at every step (no KV cache)");
}

Result<SessionOptions> session_options_from_args(const ArgParser& p) {
    SessionOptions o;
    KVS_ASSIGN(double t, p.get_double("temperature"));
    KVS_ASSIGN(o.sampling.top_k, p.get_int("top-k"));
    KVS_ASSIGN(double top_p, p.get_double("top-p"));
    KVS_ASSIGN(int seed, p.get_int("seed"));
    if (t < 0) return err("--temperature must be >= 0, got ", t);
    if (top_p <= 0 || top_p > 1) return err("--top-p must be in (0, 1], got ", top_p);
    if (o.sampling.top_k < 0) return err("--top-k must be >= 0, got ", o.sampling.top_k);
    o.sampling.temperature = float(t);
    o.sampling.top_p = float(top_p);
    o.sampling.seed = std::uint64_t(seed);
    o.use_cache = !p.is_set("no-cache");
    return o;
}

void add_prompts_option(ArgParser& p) {
    p.option("prompts", "FILE", "several prompts, one per line (\\n for a line break inside one), decoded together "
                                "as one sequence each");
}

Result<std::vector<std::string>> prompts_from_args(const ArgParser& p) {
    if (!p.has("prompts")) return std::vector<std::string>{p.get("prompt")};
    if (!p.get("prompt").empty()) return err("give --prompt or --prompts, not both");
    std::ifstream in(p.get("prompts"), std::ios::binary);
    if (!in) return err("--prompts: cannot open '", p.get("prompts"), "'");
    std::vector<std::string> prompts;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        std::string text;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
                text += '\n';
                ++i;
            } else {
                text += line[i];
            }
        }
        prompts.push_back(std::move(text));
    }
    if (prompts.empty()) return err("--prompts: '", p.get("prompts"), "' holds no prompt (one per line)");
    return prompts;
}

int fail(const std::string& command, const std::string& message) {
    std::fprintf(stderr, "kvscope-cli %s: %s\n", command.c_str(), message.c_str());
    return 1;
}

}  // namespace kvs::cli

namespace kvs::cli {

void warn_about_run(const Model& model, const std::vector<std::string>& prompts, int new_tokens, int capacity) {
    if (!model.tokenizer) return;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const std::string left_out = describe_left_out(characters_left_out(*model.tokenizer, prompts[i]));
        if (!left_out.empty())
            std::fprintf(stderr, "kvscope: prompt%s: %s\n",
                         prompts.size() > 1 ? (" " + std::to_string(i + 1)).c_str() : "", left_out.c_str());
        const int prompt_tokens = int(model.tokenizer->encode_prompt(prompts[i]).size());
        // The last new token is sampled, not cached: capacity - prompt + 1 new tokens fit.
        const int fit = capacity - prompt_tokens + 1;
        if (new_tokens > fit)
            std::fprintf(stderr,
                         "kvscope: -n %d asks for more than the context holds: %d positions with a %d-token prompt "
                         "leave room for %d new tokens; the run stops there (the context limit)\n",
                         new_tokens, capacity, prompt_tokens, std::max(0, fit));
    }
}

}  // namespace kvs::cli
