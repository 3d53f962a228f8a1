// kvscope-cli tokenize: text to token ids and labels with a model's tokenizer.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "model_options.h"

namespace kvs::cli {
namespace {

int run_tokenize(const std::vector<std::string>& args) {
    ArgParser p("tokenize", "Split text into tokens with the model's tokenizer.");
    add_model_options(p);
    p.option("text", "TEXT", "text to tokenize (default: the positional argument)")
        .flag("bos", "prepend BOS when the model adds one")
        .flag("json", "machine-readable output");
    if (auto s = p.parse(args); !s) return fail("tokenize", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    std::string text = p.get("text");
    if (!p.has("text") && !p.positional().empty()) text = p.positional().front();
    auto model = load_model_from_args(p);
    if (!model) return fail("tokenize", model.message());
    const auto& tok = (*model)->tokenizer;
    if (!tok) return fail("tokenize", "the model has no tokenizer");
    const std::vector<int> ids = p.is_set("bos") ? tok->encode_prompt(text) : tok->encode(text);
    if (p.is_set("json")) {
        nlohmann::json j;
        j["ids"] = ids;
        auto& labels = j["labels"] = nlohmann::json::array();
        for (int id : ids) labels.push_back(tok->token_label(id));
        std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    for (int id : ids) std::printf("%6d  %s\n", id, tok->token_label(id).c_str());
    std::fprintf(stderr, "%zu tokens\n", ids.size());
    return 0;
}

const CommandRegistration reg{"tokenize", "split text into tokens", run_tokenize};

}  // namespace
}  // namespace kvs::cli
