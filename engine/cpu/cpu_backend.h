#pragma once
// The Eigen reference backend: the whole forward pass on the CPU. The rows of every sequence of
// a pass are stacked ([rows, dim]) and multiplied by each weight matrix at once: a prefill is a
// GEMM over the prompt, a decode step of N sequences a GEMM of N rows (one row: a GEMV).
// Attention reads each sequence's cached K and V block by block through its block table.
#include <memory>
#include <vector>

#include "core/backend.h"
#include "cpu/cpu_kernels.h"
#include "cpu/op_timer.h"
#include "cpu/weight_product.h"
#include "kv/kv_host_storage.h"
#include "model/model.h"

namespace kvs {

class CpuBackend final : public Backend {
public:
    CpuBackend(std::shared_ptr<const Model> model, const BackendOptions& options);

    std::string name() const override { return "cpu"; }
    std::string device_name() const override;
    double weight_bytes() const override;
    std::int64_t weight_storage_bytes() const override;
    int threads() const { return products_.threads(); }

protected:
    Status execute(const Pass& pass, ForwardOutput& out) override;
    Status read_slots(const BlockTable& table, int count, int layer, int kv_head, std::vector<float>& keys,
                      std::vector<float>& values) const override;

private:
    void embed(const Pass& pass);
    void attention_block(int layer, const Pass& pass, ForwardOutput& out);
    cpu::ConstMatrixMap cached_rows(int layer, KvPart part, int kv_head, const PassSequence& s,
                                    std::vector<float>& scratch);
    void attend_head(int layer, int head, const PassSequence& s, const cpu::ConstMatrixMap& k,
                     const cpu::ConstMatrixMap& v, const AttentionCapture& capture, cpu::RowMatrix& scores,
                     AttentionRows& rows);
    void attend_one_query(int layer, int head, const PassSequence& s, const cpu::ConstMatrixMap& k,
                          const cpu::ConstMatrixMap& v, const AttentionCapture& capture, cpu::RowMatrix& scores,
                          AttentionRows& rows);
    void capture_rows(int layer, int head, const PassSequence& s, const AttentionCapture& capture,
                      const cpu::RowMatrix& scores, AttentionRows& rows) const;
    void linear(const cpu::RowMatrix& in, const Tensor& w, const Tensor& b, cpu::RowMatrix& out);
    static void add_bias(const Tensor& b, cpu::RowMatrix& out);
    void ffn_block(int layer);
    void classifier(const Pass& pass, ForwardOutput& out);
    void norm(const Tensor& weight, const Tensor& bias, const cpu::RowMatrix& in, cpu::RowMatrix& out);
    // The activation tap after an op (core/activation_tap.h): patches, then copies `m` if asked.
    void tap(int layer, TapPoint point, cpu::RowMatrix& m);

    std::shared_ptr<const Model> model_;
    const ModelConfig& cfg_;
    BackendOptions options_;
    KvHostStorage kv_store_;
    cpu::OpTimer timer_;
    cpu::WeightProduct products_;  // the thread pool and the weight-matrix products
    const ActivationTap* tap_ = nullptr;      // of the pass running
    std::vector<Activation>* tapped_ = nullptr;

    // Per pool thread: one head's scores and its gathered K and V.
    struct HeadScratch {
        cpu::RowMatrix scores;                // [n, keys] of one head of one sequence
        std::vector<float> k_rows, v_rows;    // [keys, hd] of one KV head, gathered from its blocks
    };
    std::vector<HeadScratch> heads_;
    std::vector<AttentionRows> captured_;  // [sequences x heads] of the current layer, in order

    // Activations of the rows in flight (every sequence of the pass); resized only when the
    // row count changes.
    std::vector<int> positions_;  // [rows] position of each row (RoPE, learned positions)
    cpu::RowMatrix x_;        // [rows, dim] residual stream
    cpu::RowMatrix xb_;       // [rows, dim] normed input of a sub-block
    cpu::RowMatrix q_;        // [rows, dim]
    cpu::RowMatrix k_, v_;    // [rows, kv_dim]
    cpu::RowMatrix att_out_;  // [rows, dim] concatenated head outputs
    cpu::RowMatrix hidden_, up_;  // [rows, hidden]
    cpu::RowMatrix last_;     // [logit rows, dim] rows that reach the classifier
    std::vector<float> xb_row_;  // [dim] one decoded embedding row
};

}  // namespace kvs
