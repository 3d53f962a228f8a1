#pragma once
// Options shared by the commands that load a model and run it (generate, trace, bench, export,
// info): declared once so that every command spells and documents them the same way.
#include <memory>
#include <string>

#include "arg_parser.h"
#include "core/backend.h"
#include "model/model.h"
#include "session/generation_session.h"

namespace kvs::cli {

// --model, --tokenizer, --synthetic, --layers, --seed-weights
void add_model_options(ArgParser& p);
Result<std::shared_ptr<Model>> load_model_from_args(const ArgParser& p);

// --backend, --device, --f16, --kv-dtype, --ctx, --block-size, --kv-blocks, --prefix-cache, --block-order,
// --validation, --threads
void add_backend_options(ArgParser& p);
Result<BackendOptions> backend_options_from_args(const ArgParser& p);
// Creates the backend; prints the reason to stderr when Vulkan falls back to the CPU.
// `sequences`: how many sequences the KV pool is sized for (one per prompt).
Result<std::unique_ptr<Backend>> create_backend_from_args(const ArgParser& p, std::shared_ptr<const Model> model,
                                                          bool measure_ops = false, int sequences = 1);

// --prompt, -n, --temperature, --top-k, --top-p, --seed, --no-cache
void add_generation_options(ArgParser& p);
// --prompts FILE: several prompts, one sequence each (generate, trace).
void add_prompts_option(ArgParser& p);
// The prompts of a run: the lines of --prompts FILE (empty lines skipped, "\n" a line break),
// or the one --prompt.
Result<std::vector<std::string>> prompts_from_args(const ArgParser& p);
// Tells on stderr what a run will not do as asked: characters of a prompt the tokenizer has no
// token for (left out), and new tokens beyond what the cache's positions allow (the run stops at
// the context limit).
void warn_about_run(const Model& model, const std::vector<std::string>& prompts, int new_tokens, int capacity);
Result<SessionOptions> session_options_from_args(const ArgParser& p);

// Prints "kvscope-cli CMD: message" to stderr and returns the exit code for errors.
int fail(const std::string& command, const std::string& message);

}  // namespace kvs::cli
