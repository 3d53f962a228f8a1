#include "cpu/cpu_backend.h"

#include "cpu/block_dot.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvs {

using cpu::ConstMatrixMap;
using cpu::ConstRowVectorMap;
using cpu::RowMatrix;

namespace {

ConstRowVectorMap as_vector(const Tensor& t) { return ConstRowVectorMap(t.data.data(), t.cols); }

}  // namespace

// out = in * W^T (+ b): in [n, in_features], W [out_features, in_features] -> out [n, out_features]
void CpuBackend::linear(const RowMatrix& in, const Tensor& w, const Tensor& b, RowMatrix& out) {
    products_.multiply(in, w, out);
    add_bias(b, out);
}

void CpuBackend::add_bias(const Tensor& b, RowMatrix& out) {
    if (!b.empty()) out.rowwise() += as_vector(b);
}

// The host cache stores the requested type: F16 halves it, as on a GPU; attention widens it back
// to F32 as it reads.
CpuBackend::CpuBackend(std::shared_ptr<const Model> model, const BackendOptions& options)
    : model_(std::move(model)), cfg_(model_->config), options_(options),
      kv_store_(cache_layout(cfg_, options, options.kv_dtype)), products_(options.threads) {
    init_pool(kv_store_.layout(), options, cfg_);
    heads_.resize(std::size_t(products_.threads()));
}

std::string CpuBackend::device_name() const {
    const int t = products_.threads();
    return std::string("CPU (Eigen ") + std::to_string(EIGEN_WORLD_VERSION) + "." +
           std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION) + ", " +
           Eigen::SimdInstructionSetsInUse() + ", weight kernels " + cpu::row_dot_isa() + ", " + std::to_string(t) +
           (t == 1 ? " thread)" : " threads)");
}

double CpuBackend::weight_bytes() const { return model_->weights.matrix_bytes_per_value(); }
std::int64_t CpuBackend::weight_storage_bytes() const { return model_->weights.storage_bytes(); }

Status CpuBackend::read_slots(const BlockTable& table, int count, int layer, int kv_head, std::vector<float>& keys,
                              std::vector<float>& values) const {
    kv_store_.gather(layer, KvPart::Key, kv_head, table, count, keys);
    kv_store_.gather(layer, KvPart::Value, kv_head, table, count, values);
    return {};
}

Status CpuBackend::execute(const Pass& pass, ForwardOutput& out) {
    out.logits.clear();
    out.attention.clear();
    out.op_times.clear();
    out.device_ms = -1.0;
    timer_.begin_pass(options_.measure_ops, &out.op_times);
    tap_ = pass.tap && pass.tap->active() ? pass.tap : nullptr;
    tapped_ = &out.activations;

    if (!pass.copies.empty()) timer_.mark(-1, OpKind::KvWrite);
    for (const BlockCopy& c : pass.copies) kv_store_.copy_block(c.source, c.target);  // copy on write
    embed(pass);
    for (int l = 0; l < cfg_.n_layers; ++l) {
        attention_block(l, pass, out);
        ffn_block(l);
    }
    classifier(pass, out);
    timer_.stop();
    return {};
}

void CpuBackend::tap(int layer, TapPoint point, RowMatrix& m) {
    if (tap_) tap_host_rows(*tap_, *tapped_, layer, point, m.data(), int(m.rows()), int(m.cols()));
}

void CpuBackend::embed(const Pass& pass) {
    timer_.mark(-1, OpKind::Embedding);
    const auto& w = model_->weights;
    x_.resize(pass.rows, cfg_.dim);
    xb_row_.resize(std::size_t(cfg_.dim));
    positions_.resize(std::size_t(pass.rows));
    for (const PassSequence& s : pass.sequences)
        for (int i = 0; i < s.n(); ++i) {
            const int r = s.row0 + i, pos = s.first_position + i;
            positions_[std::size_t(r)] = pos;
            w.token_embedding.row_to_f32(s.tokens[std::size_t(i)], x_.row(r).data());
            if (!w.position_embedding.empty()) {
                w.position_embedding.row_to_f32(pos, xb_row_.data());
                x_.row(r) += ConstRowVectorMap(xb_row_.data(), cfg_.dim);
            }
        }
    tap(-1, TapPoint::Embedding, x_);
}

void CpuBackend::norm(const Tensor& weight, const Tensor& bias, const RowMatrix& in, RowMatrix& out) {
    if (cfg_.arch == Architecture::Gpt2)
        cpu::layer_norm(in, as_vector(weight), as_vector(bias), cfg_.norm_eps, out);
    else
        cpu::rms_norm(in, as_vector(weight), cfg_.norm_eps, out);
}

void CpuBackend::attention_block(int layer, const Pass& pass, ForwardOutput& out) {
    const LayerWeights& w = model_->weights.layers[layer];
    const int hd = cfg_.head_dim();

    timer_.mark(layer, OpKind::AttnNorm);
    norm(w.attn_norm, w.attn_norm_bias, x_, xb_);  // [rows, dim]
    tap(layer, TapPoint::AttnNorm, xb_);

    timer_.mark(layer, OpKind::QkvProjection);
    // One pass of the thread pool for the three products of one input.
    products_.multiply(xb_, {{w.wq, q_}, {w.wk, k_}, {w.wv, v_}});  // q [rows, dim], k and v [rows, kv_dim]
    add_bias(w.bq, q_);
    add_bias(w.bk, k_);
    add_bias(w.bv, v_);

    if (cfg_.arch == Architecture::Llama) {
        timer_.mark(layer, OpKind::Rope);
        cpu::rope(q_, cfg_.n_heads, hd, cfg_.rotary_dim(), cfg_.rope_theta, cfg_.rope_style, positions_);
        cpu::rope(k_, cfg_.n_kv_heads, hd, cfg_.rotary_dim(), cfg_.rope_theta, cfg_.rope_style, positions_);
    }
    tap(layer, TapPoint::Query, q_);
    tap(layer, TapPoint::Key, k_);
    tap(layer, TapPoint::Value, v_);

    // The cache: row i of a sequence goes to its slot first_slot + i, wherever its table puts it
    // (rounded to F16 there when the cache stores F16).
    timer_.mark(layer, OpKind::KvWrite);
    for (const PassSequence& s : pass.sequences)
        for (int i = 0; i < s.n(); ++i)
            for (int h = 0; h < cfg_.n_kv_heads; ++h) {
                const int slot = s.first_slot + i;
                kv_store_.write(layer, KvPart::Key, h, *s.table, slot, k_.row(s.row0 + i).data() + h * hd);
                kv_store_.write(layer, KvPart::Value, h, *s.table, slot, v_.row(s.row0 + i).data() + h * hd);
            }

    // Attention of each sequence over its own cached keys: K and V of a KV head read through
    // its block table ([keys, hd], gathered when the blocks are not one run), then the query
    // heads of its group. One task per (sequence, KV head), spread over the pool; with op
    // timing on (or too little work to share) they run in order on this thread.
    att_out_.resize(pass.rows, cfg_.dim);
    const int kv_heads = cfg_.n_kv_heads, group = cfg_.gqa_group();
    const int tasks = int(pass.sequences.size()) * kv_heads;
    captured_.assign(std::size_t(tasks) * std::size_t(group), AttentionRows{});
    const auto task = [&](int t, int thread) {
        const PassSequence& s = pass.sequences[std::size_t(t / kv_heads)];
        const int kv_head = t % kv_heads;
        HeadScratch& h = heads_[std::size_t(thread)];
        const ConstMatrixMap k = cached_rows(layer, KvPart::Key, kv_head, s, h.k_rows);    // [keys, hd]
        const ConstMatrixMap v = cached_rows(layer, KvPart::Value, kv_head, s, h.v_rows);  // [keys, hd]
        for (int g = 0; g < group; ++g)
            attend_head(layer, kv_head * group + g, s, k, v, *pass.capture, h.scores,
                        captured_[std::size_t(t) * std::size_t(group) + std::size_t(g)]);
    };
    // Multiply-adds of the pass's attention: scores and weighted values, each query against its keys.
    std::int64_t work = 0;
    for (const PassSequence& s : pass.sequences) work += 2LL * s.n() * s.keys() * hd * cfg_.n_heads;
    if (options_.measure_ops || work < cpu::ThreadPool::kMinSplitWork) {
        for (int t = 0; t < tasks; ++t) task(t, 0);
    } else {
        products_.pool().run(tasks, task);
    }
    for (AttentionRows& rows : captured_)
        if (rows.n_queries > 0) out.attention.push_back(std::move(rows));
    tap(layer, TapPoint::AttentionMix, att_out_);

    timer_.mark(layer, OpKind::OutputProjection);
    linear(att_out_, w.wo, w.bo, xb_);  // [rows, dim]
    tap(layer, TapPoint::OutputProjection, xb_);
    timer_.mark(layer, OpKind::Residual);
    x_ += xb_;
    tap(layer, TapPoint::AttentionResidual, x_);
}

// Slots [0, keys) of one KV head of a sequence as a [keys, hd] F32 matrix: the cache rows
// themselves when they are F32 and their blocks physically consecutive (one run of memory), else
// a copy gathered run by run (and widened from F16) into `scratch`, sized once for the whole
// context. Either way the attention below multiplies the same numbers in the same order, so a
// paged cache gives exactly the contiguous cache's results.
ConstMatrixMap CpuBackend::cached_rows(int layer, KvPart part, int kv_head, const PassSequence& s,
                                       std::vector<float>& scratch) {
    const int hd = cfg_.head_dim(), keys = s.keys();
    if (const float* run = kv_store_.f32_run(layer, part, kv_head, *s.table, keys))
        return ConstMatrixMap(run, keys, hd);
    if (scratch.size() < std::size_t(keys) * hd) scratch.resize(std::size_t(kv_store_.layout().capacity) * hd);
    kv_store_.gather(layer, part, kv_head, *s.table, keys, scratch.data());
    return ConstMatrixMap(scratch.data(), keys, hd);
}

// One query head of one sequence: scores [n, keys] = Q [n, hd] K^T / sqrt(hd), causal softmax,
// out [n, hd] = P V.
// Runs on pool threads: `timer_` is only marked when op timing runs the heads on the calling
// thread (the marks do nothing otherwise).
void CpuBackend::attend_head(int layer, int head, const PassSequence& s, const ConstMatrixMap& k,
                             const ConstMatrixMap& v, const AttentionCapture& capture, RowMatrix& scores,
                             AttentionRows& rows) {
    const int n = s.n(), hd = cfg_.head_dim(), keys = s.keys();
    if (n == 1 && cpu::row_dot_uses_avx2()) return attend_one_query(layer, head, s, k, v, capture, scores, rows);

    timer_.mark(layer, OpKind::AttentionScores);
    const float scale = 1.0f / std::sqrt(float(hd));
    scores.noalias() = (q_.block(s.row0, head * hd, n, hd) * k.transpose()) * scale;  // [n, keys]

    timer_.mark(layer, OpKind::Softmax);
    for (int i = 0; i < n; ++i) {
        const int visible = s.first_slot + i + 1;  // causal: the query in slot p sees slots 0..p
        cpu::softmax(scores.row(i).data(), visible);
        std::fill(scores.row(i).data() + visible, scores.row(i).data() + keys, 0.0f);
    }

    timer_.mark(layer, OpKind::AttentionValues);
    att_out_.block(s.row0, head * hd, n, hd).noalias() = scores * v;  // [n, hd]

    capture_rows(layer, head, s, capture, scores, rows);
}

// Decode's single query with the run-time AVX2 kernels (Eigen's run 4 lanes wide in this
// portable build): scores [keys] = K q / sqrt(hd) one cached row at a time, softmax, out [hd] =
// the sum of the value rows weighted by the scores.
void CpuBackend::attend_one_query(int layer, int head, const PassSequence& s, const ConstMatrixMap& k,
                                  const ConstMatrixMap& v, const AttentionCapture& capture, RowMatrix& scores,
                                  AttentionRows& rows) {
    const int hd = cfg_.head_dim(), keys = s.keys(), visible = s.first_slot + 1;
    timer_.mark(layer, OpKind::AttentionScores);
    const float scale = 1.0f / std::sqrt(float(hd));
    const cpu::RowDot dot = cpu::row_dot(WeightType::F32);
    const cpu::RowAxpy axpy = cpu::f32_axpy();
    scores.resize(1, keys);
    float* p = scores.data();
    const float* q = q_.row(s.row0).data() + head * hd;
    for (int j = 0; j < keys; ++j) p[j] = dot(reinterpret_cast<const std::uint8_t*>(k.row(j).data()), q, hd) * scale;

    timer_.mark(layer, OpKind::Softmax);
    cpu::softmax(p, visible);
    std::fill(p + visible, p + keys, 0.0f);

    timer_.mark(layer, OpKind::AttentionValues);
    float* out = att_out_.row(s.row0).data() + head * hd;
    std::fill(out, out + hd, 0.0f);
    for (int j = 0; j < visible; ++j) axpy(p[j], v.row(j).data(), out, hd);
    capture_rows(layer, head, s, capture, scores, rows);
}

void CpuBackend::capture_rows(int layer, int head, const PassSequence& s, const AttentionCapture& capture,
                              const RowMatrix& scores, AttentionRows& rows) const {
    if (capture.wants(layer, head)) {
        rows.sequence = s.sequence;
        rows.layer = layer;
        rows.head = head;
        rows.first_query = s.first_slot;
        rows.n_queries = int(scores.rows());
        rows.n_keys = int(scores.cols());
        rows.probs.assign(scores.data(), scores.data() + scores.size());
    }
}

void CpuBackend::ffn_block(int layer) {
    const LayerWeights& w = model_->weights.layers[layer];
    timer_.mark(layer, OpKind::FfnNorm);
    norm(w.ffn_norm, w.ffn_norm_bias, x_, xb_);  // [rows, dim]
    tap(layer, TapPoint::FfnNorm, xb_);

    if (cfg_.arch == Architecture::Llama) {
        // Gate and up in one pass of the thread pool.
        timer_.mark_pair(layer, OpKind::FfnGate, OpKind::FfnUp);
        products_.multiply(xb_, {{w.w_gate, hidden_}, {w.w_up, up_}});  // [rows, hidden] each
        add_bias(w.b_up, up_);
        timer_.mark(layer, OpKind::FfnActivation);
        cpu::swiglu(hidden_, up_);
    } else {
        timer_.mark(layer, OpKind::FfnUp);
        linear(xb_, w.w_up, w.b_up, hidden_);  // [rows, hidden]
        timer_.mark(layer, OpKind::FfnActivation);
        cpu::gelu_tanh(hidden_);
    }
    tap(layer, TapPoint::FfnHidden, hidden_);
    timer_.mark(layer, OpKind::FfnDown);
    linear(hidden_, w.w_down, w.b_down, xb_);  // [rows, dim]
    tap(layer, TapPoint::FfnOutput, xb_);
    timer_.mark(layer, OpKind::Residual);
    x_ += xb_;
    tap(layer, TapPoint::FfnResidual, x_);
}

// Final norm and classifier over the rows whose logits are wanted: each sequence's last row, or
// all of its rows with all_logits.
void CpuBackend::classifier(const Pass& pass, ForwardOutput& out) {
    timer_.mark(-1, OpKind::FinalNorm);
    last_.resize(pass.logit_rows, cfg_.dim);
    for (const PassSequence& s : pass.sequences) {
        if (s.all_logits) last_.middleRows(s.logit_row0, s.n()) = x_.middleRows(s.row0, s.n());
        else last_.row(s.logit_row0) = x_.row(s.row0 + s.n() - 1);
    }
    norm(model_->weights.final_norm, model_->weights.final_norm_bias, last_, xb_);
    tap(-1, TapPoint::FinalNorm, xb_);

    timer_.mark(-1, OpKind::Classifier);
    // [logit rows, vocab], straight into the output (no second copy of a vocabulary of floats).
    const Tensor& classifier = model_->weights.classifier_matrix();
    out.logits.resize(std::size_t(pass.logit_rows) * std::size_t(classifier.rows));
    products_.multiply_into(xb_, classifier, out.logits.data());
    out.logit_rows = pass.logit_rows;
}

}  // namespace kvs
