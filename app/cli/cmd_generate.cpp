// kvscope-cli generate: the prompt followed by the generated text on stdout (or, with --ids,
// the token ids of the whole sequence); diagnostics on stderr. With --prompts FILE, every prompt
// is a sequence of its own, all decoded together.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "model_options.h"

namespace kvs::cli {
namespace {

// The text of every token of sequence i, the stop token excluded (as the reference
// implementations print), BOS left out.
std::string sequence_text(const GenerationSession& session, int i) {
    const Model& m = session.model();
    std::vector<int> shown = session.tokens(i);
    if (session.stop_reason(i) == "eos" && !shown.empty()) shown.pop_back();
    if (!shown.empty() && m.tokenizer && shown.front() == m.tokenizer->bos_id && m.tokenizer->add_bos)
        shown.erase(shown.begin());
    return m.tokenizer ? m.tokenizer->decode(shown) : "";
}

int run_generate(const std::vector<std::string>& args) {
    ArgParser p("generate", "Generate text from a prompt (or several, decoded together) and print it.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    add_prompts_option(p);
    p.flag("ids", "print the token ids of the whole sequence instead of text (one line per sequence)")
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
    auto prompts = prompts_from_args(p);
    if (!prompts) return fail("generate", prompts.message());
    auto backend = create_backend_from_args(p, *model, false, int(prompts->size()));
    if (!backend) return fail("generate", backend.message());
    const std::string device = (*backend)->device_name();

    warn_about_run(**model, *prompts, *n, (*backend)->kv_layout().capacity);
    GenerationSession session(*model, std::move(*backend), *options);
    if (auto s = session.start_many(*prompts); !s) return fail("generate", s.message());
    if (auto s = session.run(*n); !s) return fail("generate", s.message());
    const bool several = session.sequences() > 1;

    if (p.is_set("json")) {
        auto one = [&](int i) {
            nlohmann::json j;
            j["text"] = sequence_text(session, i);
            j["ids"] = session.tokens(i);
            j["prompt_tokens"] = session.prompt_length(i);
            j["generated_tokens"] = session.generated(i);
            j["stop_reason"] = session.stop_reason(i);
            j["reused_tokens"] = session.reused_tokens(i);
            return j;
        };
        nlohmann::json j = one(0);
        if (several) {
            j = nlohmann::json::object();
            j["sequences"] = nlohmann::json::array();
            for (int i = 0; i < session.sequences(); ++i) j["sequences"].push_back(one(i));
        }
        j["backend"] = session.backend().name();
        j["device"] = device;
        std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (p.is_set("ids")) {
        for (int i = 0; i < session.sequences(); ++i) {
            const auto& tokens = session.tokens(i);
            for (std::size_t k = 0; k < tokens.size(); ++k) std::printf(k ? " %d" : "%d", tokens[k]);
            std::printf("\n");
        }
    } else {
        for (int i = 0; i < session.sequences(); ++i) {
            if (several) std::printf("%s=== sequence %d ===\n", i ? "\n" : "", i);
            const std::string text = sequence_text(session, i);
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::printf("\n");
        }
    }
    if (!p.is_set("quiet"))
        for (int i = 0; i < session.sequences(); ++i)
            std::fprintf(stderr, "[%s on %s]%s %d prompt + %d new tokens, stop: %s%s\n", session.backend().name().c_str(),
                         device.c_str(), several ? (" sequence " + std::to_string(i) + ":").c_str() : "",
                         session.prompt_length(i), session.generated(i), session.stop_reason(i).c_str(),
                         session.reused_tokens(i) ? (" (" + std::to_string(session.reused_tokens(i)) +
                                                     " prompt tokens from the prefix cache)").c_str()
                                                  : "");
    return 0;
}

const CommandRegistration reg{"generate", "generate text from a prompt", run_generate};

}  // namespace
}  // namespace kvs::cli
