#pragma once
// The Eigen reference backend: the whole forward pass on the CPU. Prefill multiplies the
// prompt's activations [n, dim] by each weight matrix at once (GEMM); a decode step is the
// same code with n = 1 (GEMV). The KV cache is an engine/kv KvCache.
#include <memory>

#include "core/backend.h"
#include "cpu/cpu_kernels.h"
#include "cpu/op_timer.h"
#include "kv/kv_cache.h"
#include "model/model.h"

namespace kvs {

class CpuBackend final : public Backend {
public:
    CpuBackend(std::shared_ptr<const Model> model, const BackendOptions& options);

    std::string name() const override { return "cpu"; }
    std::string device_name() const override;
    Status forward(std::span<const int> tokens, int start_pos, bool all_logits, const AttentionCapture& capture,
                   ForwardOutput& out) override;
    int cache_length() const override { return cache_.length(); }
    void truncate_cache(int length) override;
    const KvLayout& kv_layout() const override { return cache_.layout(); }
    Status read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const override;

private:
    void embed(std::span<const int> tokens, int start_pos);
    void attention_block(int layer, int start_pos, const AttentionCapture& capture, ForwardOutput& out);
    void attend_head(int layer, int head, int start_pos, const AttentionCapture& capture, ForwardOutput& out);
    void ffn_block(int layer);
    void norm(const Tensor& weight, const Tensor& bias, cpu::RowMatrix& out);

    std::shared_ptr<const Model> model_;
    const ModelConfig& cfg_;
    BackendOptions options_;
    KvCache cache_;
    cpu::OpTimer timer_;

    // Activations of the positions in flight (n rows); resized only when n changes.
    cpu::RowMatrix x_;        // [n, dim] residual stream
    cpu::RowMatrix xb_;       // [n, dim] normed input of a sub-block
    cpu::RowMatrix q_;        // [n, dim]
    cpu::RowMatrix k_, v_;    // [n, kv_dim]
    cpu::RowMatrix att_out_;  // [n, dim] concatenated head outputs
    cpu::RowMatrix scores_;   // [n, keys] of one head
    cpu::RowMatrix hidden_, up_;  // [n, hidden]
};

}  // namespace kvs
