#pragma once
// Greedy decoding on two backends side by side, comparing their logits at every step.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <QtGlobal>

#include "core/backend.h"

namespace kvs::test {

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

inline int argmax(const std::vector<float>& v, std::size_t offset, std::size_t n) {
    return int(std::max_element(v.begin() + std::ptrdiff_t(offset), v.begin() + std::ptrdiff_t(offset + n)) -
               (v.begin() + std::ptrdiff_t(offset)));
}

// Greedy decoding on both backends in lockstep from `prompt`; returns the generated ids of
// the first backend and the largest logit difference seen at any step.
struct LockstepResult {
    std::vector<int> ids;  // prompt + generated (by `a`)
    std::vector<int> ids_b;
    float max_diff = 0;
    int worst_step = -1;
    float logit_rms = 0;  // root mean square of b's last logits, the scale max_diff compares to
    float min_margin = INFINITY;  // smallest gap between b's best and second-best logit over the steps
};

inline LockstepResult greedy_lockstep(Backend& a, Backend& b, std::vector<int> prompt, int new_tokens, int vocab) {
    LockstepResult r;
    r.ids = prompt;
    r.ids_b = prompt;
    ForwardOutput oa, ob;
    std::vector<int> feed = prompt;
    int pos = 0;
    for (int step = 0; step <= new_tokens; ++step) {
        if (!a.forward(feed, pos, false, {}, oa).ok() || !b.forward(feed, pos, false, {}, ob).ok()) {
            qWarning("forward failed at step %d", step);
            r.max_diff = INFINITY;
            return r;
        }
        const float d = max_abs_diff(oa.logits, ob.logits);
        std::vector<float> top(ob.logits.begin(), ob.logits.begin() + vocab);
        std::partial_sort(top.begin(), top.begin() + 2, top.end(), std::greater<float>());
        if (vocab > 1) r.min_margin = std::min(r.min_margin, top[0] - top[1]);
        if (d > r.max_diff) {
            r.max_diff = d;
            r.worst_step = step;
        }
        if (step == new_tokens) {
            double ss = 0;
            for (float v : ob.logits) ss += double(v) * v;
            r.logit_rms = float(std::sqrt(ss / double(std::max<std::size_t>(1, ob.logits.size()))));
            break;
        }
        pos += int(feed.size());
        const int next = argmax(oa.logits, 0, std::size_t(vocab));
        r.ids.push_back(next);
        r.ids_b.push_back(argmax(ob.logits, 0, std::size_t(vocab)));
        feed = {next};
    }
    return r;
}

}  // namespace kvs::test
