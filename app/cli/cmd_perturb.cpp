// kvscope-cli perturb: "why only K and V" (docs/DEBUGGER.md). Runs a prompt twice with every
// activation tapped, the second time with the token at --position replaced (or, with --zero, one
// op's output at that position zeroed), and prints for every layer and op the first position
// that changed and the largest change before, at and after the position.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "model_options.h"
#include "session/perturbation.h"

namespace kvs::cli {
namespace {

std::string token_text(const Model& m, int id) {
    if (!m.tokenizer || id < 0) return "";
    const int ids[] = {id};
    std::string s = m.tokenizer->decode(ids);
    for (char& c : s)
        if (c == '\n') c = ' ';
    return "'" + s + "'";
}

Result<ActivationPatch> parse_zero(const std::string& spec, int position) {
    const auto comma = spec.find(',');
    ActivationPatch patch;
    patch.row = position;
    if (comma == std::string::npos || !tap_from_string(spec.substr(comma + 1), patch.point))
        return err("--zero wants LAYER,OP with OP one of the tap points (ffn_output, q, k, v, attention, ...), got '", spec,
                   "'");
    try {
        patch.layer = std::stoi(spec.substr(0, comma));
    } catch (...) {
        return err("--zero: '", spec.substr(0, comma), "' is not a layer number");
    }
    return patch;
}

void print_table(const Model& model, const PerturbationReport& r) {
    if (r.kind == PerturbationReport::Kind::Token)
        std::printf("%d positions; position %d: token %d %s replaced by %d %s\n\n", r.positions, r.position,
                    r.original_token, token_text(model, r.original_token).c_str(), r.replacement_token,
                    token_text(model, r.replacement_token).c_str());
    else
        std::printf("%d positions; layer %d %s zeroed at position %d\n\n", r.positions, r.patch.layer,
                    to_string(r.patch.point), r.position);
    std::printf("%5s  %-20s %6s %12s %12s %12s\n", "layer", "op", "first", "before", "at", "after");
    bool earlier_moved = false;
    for (const ActivationChange& c : r.changes) {
        float before = 0, after = 0;
        for (int p = 0; p < int(c.max_diff.size()); ++p) {
            if (p < r.position) before = std::max(before, c.max_diff[std::size_t(p)]);
            if (p > r.position) after = std::max(after, c.max_diff[std::size_t(p)]);
        }
        earlier_moved = earlier_moved || before != 0.0f;
        const int first = c.first_changed();
        std::printf("%5s  %-20s %6s %12.4g %12.4g %12.4g\n", c.layer < 0 ? "-" : std::to_string(c.layer).c_str(),
                    to_string(c.point), first < 0 ? "-" : std::to_string(first).c_str(), double(before),
                    double(c.max_diff[std::size_t(r.position)]), double(after));
    }
    std::printf("\n%s\n", earlier_moved ? ("positions before " + std::to_string(r.position) + " changed").c_str()
                                        : ("nothing before position " + std::to_string(r.position) +
                                           " changed, at any layer or op")
                                              .c_str());
    if (const ActivationChange* s = r.first_spread())
        std::printf("the first op whose later positions changed: layer %d %s\n", s->layer, to_string(s->point));
}

int run_perturb(const std::vector<std::string>& args) {
    ArgParser p("perturb",
                "Why only K and V: run a prompt twice, once with the token at --position replaced (or one op's output "
                "there zeroed), and show which positions' activations changed at every layer and op.");
    add_model_options(p);
    add_backend_options(p);
    p.option("prompt", "TEXT", "the prompt (BOS added when the model wants it)")
        .option("position", "P", "the position changed (0 = the first token, BOS included)")
        .option("token", "ID", "the token id put at P (default: the next id after the one there)", "-1")
        .option("zero", "LAYER,OP", "instead of a token, zero this op's output at P (e.g. 1,ffn_output or 0,q)")
        .flag("json", "print the report as JSON, with the change at every position");
    if (auto s = p.parse(args); !s) return fail("perturb", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    if (!p.has("prompt") || !p.has("position")) return fail("perturb", "--prompt and --position are required");

    auto model = load_model_from_args(p);
    if (!model) return fail("perturb", model.message());
    if (!(*model)->tokenizer) return fail("perturb", "the model has no tokenizer to encode --prompt with");
    auto position = p.get_int("position");
    if (!position) return fail("perturb", position.message());
    auto token = p.get_int("token");
    if (!token) return fail("perturb", token.message());
    auto backend = create_backend_from_args(p, *model);
    if (!backend) return fail("perturb", backend.message());

    const std::vector<int> ids = (*model)->tokenizer->encode_prompt(p.get("prompt"));
    Result<PerturbationReport> report = err("");
    if (p.has("zero")) {
        auto patch = parse_zero(p.get("zero"), *position);
        if (!patch) return fail("perturb", patch.message());
        report = zero_activation(**backend, ids, *patch);
    } else {
        report = perturb_token(**backend, ids, *position, *token);
    }
    if (!report) return fail("perturb", report.message());
    if (p.is_set("json")) {
        nlohmann::json j = to_json(*report);
        j["tokens"] = ids;
        j["backend"] = (*backend)->name();
        std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        print_table(**model, *report);
    }
    return 0;
}

const CommandRegistration reg{"perturb", "why only K and V: which positions' activations a changed token moves",
                              run_perturb};

}  // namespace
}  // namespace kvs::cli
