// kvscope-cli generate: the prompt followed by the generated text on stdout (or, with --ids,
// the token ids of the whole sequence); diagnostics on stderr.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "model_options.h"

namespace kvs::cli {
namespace {

int run_generate(const std::vector<std::string>& args) {
    ArgParser p("generate", "Generate text from a prompt and print it.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    p.flag("ids", "print the token ids of the whole sequence instead of text")
        .flag("json", "print a JSON object with text, ids and timings")
        .flag("quiet", "no statistics on stderr");
    if (auto s = p.parse(args); !s) return fail("generate", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;

    auto model = load_model_from_args(p);
    if (!model) return fail("generate", model.message());
    auto options = session_options_from_args(p);
    if (!options) return fail("generate", options.message());
    auto n = p.get_int("n");
    if (!n) return fail("generate", n.message());
    if (*n < 0) return fail("generate", "-n must be >= 0");
    auto backend = create_backend_from_args(p, *model);
    if (!backend) return fail("generate", backend.message());
    const std::string device = (*backend)->device_name();

    GenerationSession session(*model, std::move(*backend), *options);
    if (auto s = session.start(p.get("prompt")); !s) return fail("generate", s.message());
    if (auto s = session.run(*n); !s) return fail("generate", s.message());

    const auto& tokens = session.tokens();
    const Model& m = **model;
    // The text of every token, the stop token excluded (as the reference implementations print).
    std::vector<int> shown(tokens.begin(), tokens.end());
    if (session.stop_reason() == "eos" && !shown.empty()) shown.pop_back();
    if (!shown.empty() && m.tokenizer && shown.front() == m.tokenizer->bos_id && m.tokenizer->add_bos)
        shown.erase(shown.begin());
    const std::string text = m.tokenizer ? m.tokenizer->decode(shown) : "";

    if (p.is_set("json")) {
        nlohmann::json j;
        j["text"] = text;
        j["ids"] = tokens;
        j["prompt_tokens"] = session.prompt_length();
        j["generated_tokens"] = session.generated();
        j["stop_reason"] = session.stop_reason();
        j["backend"] = session.backend().name();
        j["device"] = device;
        std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (p.is_set("ids")) {
        for (std::size_t i = 0; i < tokens.size(); ++i) std::printf(i ? " %d" : "%d", tokens[i]);
        std::printf("\n");
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::printf("\n");
    }
    if (!p.is_set("quiet"))
        std::fprintf(stderr, "[%s on %s] %d prompt + %d new tokens, stop: %s\n", session.backend().name().c_str(),
                     device.c_str(), session.prompt_length(), session.generated(), session.stop_reason().c_str());
    return 0;
}

const CommandRegistration reg{"generate", "generate text from a prompt", run_generate};

}  // namespace
}  // namespace kvs::cli
