// kvscope-cli compare: one prompt run twice with different settings, side by side
// (docs/DEBUGGER.md "Comparing two runs"). The common options set both runs; --a-OPTION and
// --b-OPTION set one run only (--b-backend vulkan, --b-no-cache, --b-temperature 0.8,
// --b-model PATH). Prints the first step whose tokens differ, both distributions there and the
// logit difference at every step; --json prints the same as one object.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command_registry.h"
#include "model_options.h"
#include "session/run_comparison.h"
#include "session/run_recorder.h"

namespace kvs::cli {
namespace {

struct SideOption {
    const char* name;
    bool is_flag;
};
// The options one run may set on its own. Everything else (prompt, -n, cache size...) is common.
const SideOption kSideOptions[] = {
    {"model", false},  {"tokenizer", false}, {"synthetic", false}, {"layers", false},   {"seed-weights", false},
    {"backend", false}, {"device", false},   {"f16", true},        {"kv-dtype", false}, {"temperature", false},
    {"top-k", false},  {"top-p", false},     {"seed", false},      {"no-cache", true},
};
const char* const kModelOptions[] = {"model", "tokenizer", "synthetic", "layers", "seed-weights"};

ArgParser make_parser() {
    ArgParser p("compare", "Run one prompt twice and compare the runs step by step: the first step whose chosen "
                           "tokens differ, both distributions there, and the logit difference at every step. The "
                           "options below set both runs; --a-OPTION / --b-OPTION set one run only.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    for (const char* side : {"a", "b"})
        for (const SideOption& o : kSideOptions) {
            const std::string name = std::string(side) + "-" + o.name;
            const std::string help = std::string("run ") + char(side[0] - 'a' + 'A') + " only: --" + o.name;
            if (o.is_flag) p.flag(name, help);
            else p.option(name, "VALUE", help);
        }
    p.option("top", "K", "most likely tokens shown at the divergence", "5")
        .flag("json", "print the comparison as one JSON object")
        .flag("quiet", "no progress on stderr");
    return p;
}

const SideOption* side_option(const std::string& name) {
    for (const SideOption& o : kSideOptions)
        if (name == o.name) return &o;
    return nullptr;
}

// The command line one run sees: the common options, then its own --S-OPTION as --OPTION
// (given last, so they win); the other run's options left out.
std::vector<std::string> side_args(const std::vector<std::string>& args, char side) {
    std::vector<std::string> common, own;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool prefixed = a.size() > 4 && a.rfind("--", 0) == 0 && (a[2] == 'a' || a[2] == 'b') && a[3] == '-';
        const std::string body = prefixed ? a.substr(4) : "";
        const std::string name = body.substr(0, body.find('='));
        const SideOption* o = prefixed ? side_option(name) : nullptr;
        if (!o) {
            common.push_back(a);
            continue;
        }
        std::vector<std::string> piece{"--" + body};
        if (!o->is_flag && body.find('=') == std::string::npos && i + 1 < args.size()) piece.push_back(args[++i]);
        if (a[2] == side) own.insert(own.end(), piece.begin(), piece.end());
    }
    common.insert(common.end(), own.begin(), own.end());
    return common;
}

std::string model_key(const ArgParser& p) {
    std::string key;
    for (const char* name : kModelOptions) key += std::string(p.has(name) ? p.get(name) : "") + '\x1f';
    return key;
}

std::string quoted(const std::string& label) { return "'" + label + "'"; }

// `s` padded with spaces to `width` characters (UTF-8 code points, as a terminal shows them).
std::string padded(const std::string& s, std::size_t width) {
    std::size_t chars = 0;
    for (unsigned char ch : s) chars += (ch & 0xC0) != 0x80;
    return chars >= width ? s : s + std::string(width - chars, ' ');
}

void print_top(const std::vector<TokenProbability>& top_a, const std::vector<TokenProbability>& top_b,
               const char* what) {
    const std::size_t rows = std::max(top_a.size(), top_b.size());
    std::printf("  %-4s %s %s\n", "rank", padded(std::string("A ") + what, 28).c_str(), (std::string("B ") + what).c_str());
    for (std::size_t r = 0; r < rows; ++r) {
        auto cell = [&](const std::vector<TokenProbability>& top) {
            if (r >= top.size()) return std::string();
            char id[16], p[16];
            std::snprintf(id, sizeof id, "%4d ", top[r].id);
            std::snprintf(p, sizeof p, " %.4f", top[r].probability);
            return id + padded(quoted(top[r].label), 14) + p;
        };
        std::printf("  %-4zu %s %s\n", r + 1, padded(cell(top_a), 28).c_str(), cell(top_b).c_str());
    }
}

void print_text(const RunComparison& c) {
    std::printf("A: %s (%zu steps, %s)\nB: %s (%zu steps, %s)\n", c.description_a.c_str(), c.tokens_a.size(),
                c.stop_reason_a.c_str(), c.description_b.c_str(), c.tokens_b.size(), c.stop_reason_b.c_str());
    auto text = [](const std::vector<std::string>& pieces) {
        std::string t;
        for (const auto& s : pieces) t += s;
        return t;
    };
    std::printf("A text: %s\nB text: %s\n", text(c.texts_a).c_str(), text(c.texts_b).c_str());
    if (c.first_divergence >= 0) {
        const StepDifference& d = c.steps[std::size_t(c.first_divergence)];
        std::printf("first divergence: step %d (position %d): A chose %d %s, B chose %d %s\n", d.step, d.position,
                    d.token_a, quoted(c.labels_a[std::size_t(d.step)]).c_str(), d.token_b,
                    quoted(c.labels_b[std::size_t(d.step)]).c_str());
    } else {
        std::printf("no divergence: the runs chose the same tokens at all %d common steps\n", c.common_steps);
    }
    std::printf("largest difference while both saw the same tokens: max |logit A - logit B| %.3g, KL(A||B) %.3g nats\n",
                c.max_abs_logit_same_context, c.max_kl_same_context);
    if (c.focus_step >= 0) {
        std::printf("distributions at step %d%s:\n", c.focus_step,
                    c.first_divergence >= 0 ? " (the divergence)" : " (the largest logit difference)");
        print_top(c.top_a, c.top_b, "(temperature 1)");
        print_top(c.filtered_a, c.filtered_b, "(sampler drew from)");
    }
    std::printf("%5s %5s %6s %6s %12s %12s %10s %s\n", "step", "pos", "A", "B", "max|dlogit|", "KL(A||B)", "TV",
                "context");
    for (const StepDifference& d : c.steps)
        std::printf("%5d %5d %6d %6d %12.4g %12.4g %10.4g %s\n", d.step, d.position, d.token_a, d.token_b,
                    d.max_abs_logit, d.kl, d.total_variation, d.same_context ? "same" : "differs");
}

nlohmann::json top_json(const std::vector<TokenProbability>& top) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& t : top) j.push_back({{"id", t.id}, {"label", t.label}, {"probability", t.probability}});
    return j;
}

nlohmann::json to_json(const RunComparison& c, const RecordedRun& a, const RecordedRun& b) {
    nlohmann::json j;
    auto side = [](const RecordedRun& r, const std::string& description, const std::vector<int>& tokens,
                   const std::string& stop) {
        return nlohmann::json{{"description", description}, {"model", r.model},     {"backend", r.backend},
                              {"device", r.device},           {"use_cache", r.use_cache},
                              {"temperature", r.sampling.temperature}, {"top_k", r.sampling.top_k},
                              {"top_p", r.sampling.top_p},    {"seed", r.sampling.seed}, {"tokens", tokens},
                              {"stop_reason", stop}};
    };
    j["a"] = side(a, c.description_a, c.tokens_a, c.stop_reason_a);
    j["b"] = side(b, c.description_b, c.tokens_b, c.stop_reason_b);
    j["prompt"] = c.prompt;
    j["common_steps"] = c.common_steps;
    j["first_divergence"] = c.first_divergence;
    j["max_abs_logit_same_context"] = c.max_abs_logit_same_context;
    j["max_kl_same_context"] = c.max_kl_same_context;
    j["focus_step"] = c.focus_step;
    j["top_a"] = top_json(c.top_a);
    j["top_b"] = top_json(c.top_b);
    j["filtered_a"] = top_json(c.filtered_a);
    j["filtered_b"] = top_json(c.filtered_b);
    j["steps"] = nlohmann::json::array();
    for (const StepDifference& d : c.steps)
        j["steps"].push_back({{"step", d.step},
                              {"position", d.position},
                              {"token_a", d.token_a},
                              {"token_b", d.token_b},
                              {"same_context", d.same_context},
                              {"max_abs_logit", d.max_abs_logit},
                              {"kl", d.kl},
                              {"total_variation", d.total_variation}});
    return j;
}

int run_compare(const std::vector<std::string>& args) {
    ArgParser p = make_parser();
    if (auto s = p.parse(args); !s) return fail("compare", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    auto n = p.get_int("n");
    if (!n) return fail("compare", n.message());
    if (*n < 0) return fail("compare", "-n must be >= 0");
    auto top = p.get_int("top");
    if (!top) return fail("compare", top.message());
    if (*top < 1) return fail("compare", "--top must be >= 1");

    std::shared_ptr<Model> model_a;
    std::string key_a;
    RecordedRun runs[2];
    for (int k = 0; k < 2; ++k) {
        const char side = char('a' + k);
        ArgParser q = make_parser();
        if (auto s = q.parse(side_args(args, side)); !s) return fail("compare", s.message());
        std::shared_ptr<Model> model = model_a;
        if (k == 0 || model_key(q) != key_a) {
            auto loaded = load_model_from_args(q);
            if (!loaded) return fail("compare", std::string("run ") + char(side - 'a' + 'A') + ": " + loaded.message());
            model = *loaded;
        }
        if (k == 0) {
            model_a = model;
            key_a = model_key(q);
        }
        auto options = session_options_from_args(q);
        if (!options) return fail("compare", options.message());
        if (!model->tokenizer && !q.get("prompt").empty())
            return fail("compare", "model '" + model->source + "' has no tokenizer: give --tokenizer");
        const std::vector<int> prompt =
            model->tokenizer ? model->tokenizer->encode_prompt(q.get("prompt")) : std::vector<int>{};
        auto backend = create_backend_from_args(q, model);
        if (!backend) return fail("compare", backend.message());
        if (!p.is_set("quiet"))
            std::fprintf(stderr, "kvscope: run %c: %s on %s\n", char(side - 'a' + 'A'),
                         describe_run_settings((*backend)->name(), *options).c_str(), (*backend)->device_name().c_str());
        auto run = record_run(model, std::move(*backend), *options, prompt, *n, *top);
        if (!run) return fail("compare", std::string("run ") + char(side - 'a' + 'A') + ": " + run.message());
        runs[k] = std::move(*run);
    }
    auto c = compare_runs(runs[0], runs[1]);
    if (!c) return fail("compare", c.message());
    if (p.is_set("json"))
        std::printf("%s\n", to_json(*c, runs[0], runs[1]).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    else
        print_text(*c);
    return 0;
}

const CommandRegistration reg{"compare", "run one prompt twice (two backends, settings or models) and compare the runs",
                              run_compare};

}  // namespace
}  // namespace kvs::cli
