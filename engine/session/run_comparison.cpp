#include "session/run_comparison.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace kvs {
namespace {

// ln softmax(z)_i = z_i - ln sum_j exp(z_j), in double, shifted by the maximum so that no exp overflows.
std::vector<double> log_softmax(const std::vector<float>& z) {
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (float v : z) sum += std::exp(double(v) - top);
    const double log_norm = top + std::log(sum);
    std::vector<double> out(z.size());
    for (std::size_t i = 0; i < z.size(); ++i) out[i] = double(z[i]) - log_norm;
    return out;
}

}  // namespace

Result<StepDifference> logit_difference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.empty() || a.size() != b.size())
        return err("logit difference: the runs have ", a.size(), " and ", b.size(), " logits");
    StepDifference d;
    const std::vector<double> la = log_softmax(a), lb = log_softmax(b);
    for (std::size_t i = 0; i < a.size(); ++i) {
        d.max_abs_logit = std::max(d.max_abs_logit, std::fabs(double(a[i]) - double(b[i])));
        const double p = std::exp(la[i]), q = std::exp(lb[i]);
        if (p > 0.0) d.kl += p * (la[i] - lb[i]);
        d.total_variation += 0.5 * std::fabs(p - q);
    }
    // Rounding can leave a tiny negative sum for equal distributions; KL is never below 0.
    d.kl = std::max(0.0, d.kl);
    return d;
}

Result<RunComparison> compare_runs(const RecordedRun& a, const RecordedRun& b) {
    if (a.prompt != b.prompt)
        return err("compare: the two runs start from different prompts (", a.prompt.size(), " and ", b.prompt.size(),
                   " tokens): the two tokenizers encode the prompt differently");
    if (a.vocab_size != b.vocab_size)
        return err("compare: the two models have vocabularies of ", a.vocab_size, " and ", b.vocab_size,
                   " tokens; comparing needs models that share a tokenizer");
    RunComparison c;
    c.description_a = a.description;
    c.description_b = b.description;
    if (a.model != b.model) {
        // Two models: each description names its model's file.
        c.description_a = std::filesystem::path(a.model).filename().string() + ", " + a.description;
        c.description_b = std::filesystem::path(b.model).filename().string() + ", " + b.description;
    }
    c.prompt = a.prompt;
    c.prompt_labels = a.prompt_labels;
    c.stop_reason_a = a.stop_reason;
    c.stop_reason_b = b.stop_reason;
    for (const RecordedStep& s : a.steps) {
        c.tokens_a.push_back(s.token);
        c.labels_a.push_back(s.label);
        c.texts_a.push_back(s.text);
    }
    for (const RecordedStep& s : b.steps) {
        c.tokens_b.push_back(s.token);
        c.labels_b.push_back(s.label);
        c.texts_b.push_back(s.text);
    }
    c.common_steps = int(std::min(a.steps.size(), b.steps.size()));
    bool same_context = true;
    double largest = -1.0;
    int largest_step = -1;
    for (int k = 0; k < c.common_steps; ++k) {
        const RecordedStep& sa = a.steps[std::size_t(k)];
        const RecordedStep& sb = b.steps[std::size_t(k)];
        auto d = logit_difference(sa.logits, sb.logits);
        if (!d) return err("compare: step ", k, ": ", d.message());
        d->step = k;
        d->position = int(c.prompt.size()) + k;
        d->token_a = sa.token;
        d->token_b = sb.token;
        d->same_context = same_context;
        if (same_context) {
            c.max_abs_logit_same_context = std::max(c.max_abs_logit_same_context, d->max_abs_logit);
            c.max_kl_same_context = std::max(c.max_kl_same_context, d->kl);
        }
        if (d->max_abs_logit > largest) {
            largest = d->max_abs_logit;
            largest_step = k;
        }
        // A different token here means the next step continues from different texts.
        if (sa.token != sb.token && c.first_divergence < 0) {
            c.first_divergence = k;
            same_context = false;
        }
        c.steps.push_back(*d);
    }
    c.focus_step = c.first_divergence >= 0 ? c.first_divergence : largest_step;
    if (c.focus_step >= 0) {
        const std::size_t f = std::size_t(c.focus_step);
        c.top_a = a.steps[f].top;
        c.top_b = b.steps[f].top;
        c.filtered_a = a.steps[f].top_filtered;
        c.filtered_b = b.steps[f].top_filtered;
    }
    return c;
}

}  // namespace kvs
