#include "views/kv_position_sampler.h"

#include <algorithm>

#include "run_data.h"

namespace kvs::ui {

std::vector<KvPositionSample> KvPositionSampler::take(const RunData& run) {
    std::vector<KvPositionSample> out;
    const auto& points = run.kvPoints();
    // Only finished steps: their points hold every layer's append.
    const std::size_t ready = std::min(points.size(), run.steps().size());
    for (; steps_read_ < ready; ++steps_read_) {
        const KvPoint& p = points[steps_read_];
        if (p.positions <= prev_pos_) continue;  // a step that wrote nothing
        const int n_layers = int(p.layer_bytes_used.size());
        prev_layers_.resize(std::size_t(n_layers), 0.0);
        // The blocks a pass writes are allocated before it runs: every position it adds stands
        // at what the cache holds after it.
        for (int q = prev_pos_ + 1; q <= p.positions; ++q) {
            KvPositionSample s;
            s.position = q;
            s.total_bytes = double(p.total_bytes_used);
            s.layer_bytes.resize(std::size_t(n_layers));
            for (int l = 0; l < n_layers; ++l) s.layer_bytes[l] = double(p.layer_bytes_used[l]);
            out.push_back(std::move(s));
        }
        prev_pos_ = p.positions;
        prev_total_ = double(p.total_bytes_used);
        for (int l = 0; l < n_layers; ++l) prev_layers_[l] = double(p.layer_bytes_used[l]);
    }
    return out;
}

std::vector<KvPositionSample> kv_samples_per_position(const RunData& run) {
    KvPositionSampler sampler;
    return sampler.take(run);
}

}  // namespace kvs::ui
