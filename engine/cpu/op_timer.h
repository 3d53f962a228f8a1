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
    void mark(int layer, OpKind op) { mark_pair(layer, op, op); }
    // Starts timing two ops of the same size done in one pass (an FFN's gate and up products):
    // each is given half the time.
    void mark_pair(int layer, OpKind op, OpKind other) {
        if (!enabled_) return;
        stop();
        layer_ = layer;
        op_ = op;
        other_ = other;
        start_ = Clock::now();
        running_ = true;
    }
    void stop() {
        if (!enabled_ || !running_) return;
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
        running_ = false;
        if (other_ == op_) {
            add(op_, ms);
        } else {
            add(op_, ms / 2);
            add(other_, ms / 2);
        }
    }

private:
    void add(OpKind op, double ms) {
        for (auto& t : *out_) {
            if (t.layer == layer_ && t.op == op) {
                t.ms += ms;
                return;
            }
        }
        out_->push_back({layer_, op, ms});
    }

    using Clock = std::chrono::steady_clock;
    bool enabled_ = false;
    bool running_ = false;
    std::vector<OpTiming>* out_ = nullptr;
    int layer_ = -1;
    OpKind op_ = OpKind::Embedding, other_ = OpKind::Embedding;
    Clock::time_point start_;
};

}  // namespace kvs::cpu
