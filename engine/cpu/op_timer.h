#pragma once
// Accumulates wall-clock time per (layer, op) during one forward pass when op timing is on.
#include <chrono>
#include <vector>

#include "core/backend.h"

namespace kvs::cpu {

class OpTimer {
public:
    void begin_pass(bool enabled, std::vector<OpTiming>* out) {
        enabled_ = enabled;
        out_ = out;
    }
    // Starts timing `op`; the time runs until the next mark() or stop().
    void mark(int layer, OpKind op) {
        if (!enabled_) return;
        stop();
        layer_ = layer;
        op_ = op;
        start_ = Clock::now();
        running_ = true;
    }
    void stop() {
        if (!enabled_ || !running_) return;
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
        running_ = false;
        for (auto& t : *out_) {
            if (t.layer == layer_ && t.op == op_) {
                t.ms += ms;
                return;
            }
        }
        out_->push_back({layer_, op_, ms});
    }

private:
    using Clock = std::chrono::steady_clock;
    bool enabled_ = false;
    bool running_ = false;
    std::vector<OpTiming>* out_ = nullptr;
    int layer_ = -1;
    OpKind op_ = OpKind::Embedding;
    Clock::time_point start_;
};

}  // namespace kvs::cpu
