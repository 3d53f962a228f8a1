#pragma once
// SmolLM2-135M-Instruct Q4_1 reference outputs (tests/data/smollm2/reference.json, made once by
// independent implementations: llama.cpp for token ids, transformers in float32 for logits and
// greedy continuations) and the checks both backends run against them.
#include <QtTest>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/backend.h"
#include "model/model.h"
#include "test_paths.h"

namespace kvs::test {

struct SmolGreedy {
    std::string prompt;
    std::vector<int> prompt_ids, generated;
    std::vector<std::pair<int, float>> top_logits;  // the reference's 8 largest first-step logits
    std::vector<std::pair<int, float>> logits_at;   // and a few others
};

struct SmolReference {
    std::vector<std::vector<int>> vocab_case_ids;
    std::string chat_prompt;
    std::vector<int> chat_ids;
    std::vector<SmolGreedy> greedy;
};

inline SmolReference smollm2_reference() {
    std::ifstream in(test_data_path("smollm2/reference.json"));
    const nlohmann::json j = nlohmann::json::parse(in);
    SmolReference r;
    r.vocab_case_ids = j["vocab_case_ids"].get<std::vector<std::vector<int>>>();
    r.chat_prompt = j["chat_prompt"].get<std::string>();
    r.chat_ids = j["chat_ids"].get<std::vector<int>>();
    for (const auto& g : j["greedy"]) {
        SmolGreedy s;
        s.prompt = g["prompt"].get<std::string>();
        s.prompt_ids = g["prompt_ids"].get<std::vector<int>>();
        s.generated = g["generated"].get<std::vector<int>>();
        for (const auto& p : g["first_logits_top"]) s.top_logits.emplace_back(p[0].get<int>(), p[1].get<float>());
        for (const auto& [id, v] : g["first_logits_at"].items()) s.logits_at.emplace_back(std::stoi(id), v.get<float>());
        r.greedy.push_back(std::move(s));
    }
    return r;
}

// Logits of the first step may differ from the reference's by this much. Both compute in float32
// from the same dequantized weights; they differ in the order of the additions of every dot
// product (576 and 1536 terms, 30 layers), which moves logits of magnitude up to ~25 by ~2e-5 on
// the CPU backend (docs/FORMATS.md, "The reference model"). The margin covers other summation
// orders (threads, SIMD width, GPU reductions).
inline constexpr float kSmolLogitTolerance = 2e-3f;

// Runs `prompt_ids` and then 31 greedy steps on `b` (positions from 0), returning the 32 tokens;
// the first pass's logits go to `first_logits`.
inline std::vector<int> greedy32(Backend& b, const std::vector<int>& prompt_ids, std::vector<float>& first_logits) {
    std::vector<int> out;
    ForwardOutput o;
    const AttentionCapture none;
    int pos = 0;
    std::vector<int> feed = prompt_ids;
    for (int step = 0; step < 32; ++step) {
        const Status s = b.forward(feed, pos, false, none, o);
        if (!s.ok()) qFatal("forward: %s", s.message().c_str());
        if (step == 0) first_logits = o.logits;
        const int next = int(std::max_element(o.logits.begin(), o.logits.end()) - o.logits.begin());
        out.push_back(next);
        pos += int(feed.size());
        feed = {next};
    }
    return out;
}

// The checks of one backend against the reference; `label` names the backend in messages.
inline void check_smollm2_greedy(Backend& b, const SmolReference& ref, const char* label) {
    for (const SmolGreedy& g : ref.greedy) {
        b.truncate_cache(0);
        std::vector<float> logits;
        const std::vector<int> got = greedy32(b, g.prompt_ids, logits);
        float worst = 0.0f;
        for (const auto& [id, v] : g.top_logits) worst = std::max(worst, std::fabs(logits[std::size_t(id)] - v));
        for (const auto& [id, v] : g.logits_at) worst = std::max(worst, std::fabs(logits[std::size_t(id)] - v));
        qInfo("%s: first-step logits within %g of the reference for '%s'", label, double(worst), g.prompt.substr(0, 30).c_str());
        QVERIFY2(worst <= kSmolLogitTolerance, qPrintable(QString("%1: logit differs by %2").arg(label).arg(worst)));
        QCOMPARE(got, g.generated);
    }
}

}  // namespace kvs::test
