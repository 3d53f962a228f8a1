#pragma once
// Turns the run's KV usage after each step into one sample per position, as the KV memory
// chart draws it, reading only the steps that arrived since the last call.
#include <cstddef>
#include <vector>

namespace kvs::ui {

class RunData;

// The cache after `position` positions are stored: total bytes and bytes of each layer.
struct KvPositionSample {
    int position = 0;
    double total_bytes = 0.0;
    std::vector<double> layer_bytes;
};

class KvPositionSampler {
public:
    // Samples of the finished steps not seen yet. A prefill writes its positions in one step,
    // into blocks allocated before it runs: the positions inside it stand at what the cache
    // holds after it. After a rewind or a new run, call reset() and read everything again.
    std::vector<KvPositionSample> take(const RunData& run);
    void reset() { *this = KvPositionSampler{}; }
    // Steps read so far; fewer finished steps in the run than this means it was cut back.
    std::size_t stepsRead() const { return steps_read_; }

private:
    std::size_t steps_read_ = 0;
    int prev_pos_ = 0;
    double prev_total_ = 0.0;
    std::vector<double> prev_layers_;
};

// Every sample of the run (a sampler read once).
std::vector<KvPositionSample> kv_samples_per_position(const RunData& run);

}  // namespace kvs::ui
