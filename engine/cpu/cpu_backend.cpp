#include "cpu/cpu_backend.h"

#include "cpu/product_threads.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvs {

using cpu::ConstMatrixMap;
using cpu::ConstRowVectorMap;
using cpu::RowMatrix;

namespace {

const Tensor kNoBias;

ConstMatrixMap as_matrix(const Tensor& t) { return ConstMatrixMap(t.data.data(), t.rows, t.cols); }
ConstRowVectorMap as_vector(const Tensor& t) { return ConstRowVectorMap(t.data.data(), t.cols); }

// out = in * W^T (+ b): in [n, in_features], W [out_features, in_features] -> out [n, out_features]
void linear(const RowMatrix& in, const Tensor& w, const Tensor& b, RowMatrix& out) {
    cpu::use_threads_for_product(in.rows(), w.rows, w.cols);
    out.noalias() = in * as_matrix(w).transpose();
    if (!b.empty()) out.rowwise() += as_vector(b);
}

}  // namespace

// The host cache stores F32 whatever the request: F16 storage is a device option.
CpuBackend::CpuBackend(std::shared_ptr<const Model> model, const BackendOptions& options)
    : model_(std::move(model)), cfg_(model_->config), options_(options),
      cache_(cache_layout(cfg_, options, KvDtype::F32)) {}

std::string CpuBackend::device_name() const {
    return std::string("CPU (Eigen ") + std::to_string(EIGEN_WORLD_VERSION) + "." +
           std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION) + ", " +
           Eigen::SimdInstructionSetsInUse() + ")";
}

void CpuBackend::truncate_cache(int length) { cache_.set_length(std::clamp(length, 0, cache_.length())); }

Status CpuBackend::read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const {
    if (layer < 0 || layer >= cfg_.n_layers || kv_head < 0 || kv_head >= cfg_.n_kv_heads)
        return err("read_kv: layer ", layer, " / kv head ", kv_head, " out of range (", cfg_.n_layers, " layers, ",
                   cfg_.n_kv_heads, " KV heads)");
    auto k = cache_.head_rows(layer, KvPart::Key, kv_head, cache_.length());
    auto v = cache_.head_rows(layer, KvPart::Value, kv_head, cache_.length());
    keys.assign(k.begin(), k.end());
    values.assign(v.begin(), v.end());
    return {};
}

Status CpuBackend::forward(std::span<const int> tokens, int start_pos, bool all_logits,
                           const AttentionCapture& capture, ForwardOutput& out) {
    const int n = int(tokens.size());
    if (n == 0) return err("forward: no tokens to process");
    if (start_pos != cache_.length())
        return err("forward: start position ", start_pos, " does not follow the cache, which holds ", cache_.length(),
                   " positions");
    if (start_pos + n > cache_.capacity())
        return err("context full: positions up to ", start_pos + n, " exceed the KV cache capacity of ",
                   cache_.capacity(), " positions");
    for (int t : tokens)
        if (t < 0 || t >= cfg_.vocab_size) return err("token id ", t, " is outside the vocabulary (0..", cfg_.vocab_size - 1, ")");

    out.logits.clear();
    out.attention.clear();
    out.op_times.clear();
    out.device_ms = -1.0;
    timer_.begin_pass(options_.measure_ops, &out.op_times);

    embed(tokens, start_pos);
    for (int l = 0; l < cfg_.n_layers; ++l) {
        attention_block(l, start_pos, capture, out);
        ffn_block(l);
    }
    cache_.set_length(start_pos + n);

    timer_.mark(-1, OpKind::FinalNorm);
    norm(model_->weights.final_norm, model_->weights.final_norm_bias, xb_);

    timer_.mark(-1, OpKind::Classifier);
    const int rows = all_logits ? n : 1;
    cpu::use_threads_for_product(rows, cfg_.vocab_size, cfg_.dim);
    RowMatrix logits = xb_.bottomRows(rows) * as_matrix(model_->weights.classifier_matrix()).transpose();  // [rows, vocab]
    out.logits.assign(logits.data(), logits.data() + logits.size());
    out.logit_rows = rows;
    timer_.stop();
    return {};
}

void CpuBackend::embed(std::span<const int> tokens, int start_pos) {
    timer_.mark(-1, OpKind::Embedding);
    const auto& w = model_->weights;
    x_.resize(Eigen::Index(tokens.size()), cfg_.dim);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        x_.row(Eigen::Index(i)) = as_matrix(w.token_embedding).row(tokens[i]);
        if (!w.position_embedding.empty()) x_.row(Eigen::Index(i)) += as_matrix(w.position_embedding).row(start_pos + int(i));
    }
}

void CpuBackend::norm(const Tensor& weight, const Tensor& bias, RowMatrix& out) {
    if (cfg_.arch == Architecture::Gpt2)
        cpu::layer_norm(x_, as_vector(weight), as_vector(bias), cfg_.norm_eps, out);
    else
        cpu::rms_norm(x_, as_vector(weight), cfg_.norm_eps, out);
}

void CpuBackend::attention_block(int layer, int start_pos, const AttentionCapture& capture, ForwardOutput& out) {
    const LayerWeights& w = model_->weights.layers[layer];
    const int n = int(x_.rows()), hd = cfg_.head_dim();

    timer_.mark(layer, OpKind::AttnNorm);
    norm(w.attn_norm, w.attn_norm_bias, xb_);  // [n, dim]

    timer_.mark(layer, OpKind::QkvProjection);
    linear(xb_, w.wq, w.bq, q_);  // [n, dim]
    linear(xb_, w.wk, w.bk, k_);  // [n, kv_dim]
    linear(xb_, w.wv, w.bv, v_);  // [n, kv_dim]

    if (cfg_.arch == Architecture::Llama) {
        timer_.mark(layer, OpKind::Rope);
        cpu::rope(q_, cfg_.n_heads, hd, cfg_.rotary_dim(), cfg_.rope_theta, cfg_.rope_style, start_pos);
        cpu::rope(k_, cfg_.n_kv_heads, hd, cfg_.rotary_dim(), cfg_.rope_theta, cfg_.rope_style, start_pos);
    }

    timer_.mark(layer, OpKind::KvWrite);
    for (int i = 0; i < n; ++i) {
        for (int h = 0; h < cfg_.n_kv_heads; ++h) {
            std::copy_n(k_.row(i).data() + h * hd, hd, cache_.row(layer, KvPart::Key, h, start_pos + i));
            std::copy_n(v_.row(i).data() + h * hd, hd, cache_.row(layer, KvPart::Value, h, start_pos + i));
        }
    }

    att_out_.resize(n, cfg_.dim);
    for (int h = 0; h < cfg_.n_heads; ++h) attend_head(layer, h, start_pos, capture, out);

    timer_.mark(layer, OpKind::OutputProjection);
    linear(att_out_, w.wo, w.bo, xb_);  // [n, dim]
    timer_.mark(layer, OpKind::Residual);
    x_ += xb_;
}

void CpuBackend::attend_head(int layer, int head, int start_pos, const AttentionCapture& capture, ForwardOutput& out) {
    const int n = int(x_.rows()), hd = cfg_.head_dim(), keys = start_pos + n;
    const int kv_head = head / cfg_.gqa_group();
    const ConstMatrixMap k(cache_.row(layer, KvPart::Key, kv_head, 0), keys, hd);    // [keys, hd]
    const ConstMatrixMap v(cache_.row(layer, KvPart::Value, kv_head, 0), keys, hd);  // [keys, hd]

    timer_.mark(layer, OpKind::AttentionScores);
    const float scale = 1.0f / std::sqrt(float(hd));
    cpu::use_threads_for_product(n, keys, hd);
    scores_.noalias() = (q_.middleCols(head * hd, hd) * k.transpose()) * scale;  // [n, keys]

    timer_.mark(layer, OpKind::Softmax);
    for (int i = 0; i < n; ++i) {
        const int visible = start_pos + i + 1;  // causal: query at position p sees keys 0..p
        cpu::softmax(scores_.row(i).data(), visible);
        std::fill(scores_.row(i).data() + visible, scores_.row(i).data() + keys, 0.0f);
    }

    timer_.mark(layer, OpKind::AttentionValues);
    att_out_.middleCols(head * hd, hd).noalias() = scores_ * v;  // [n, hd]

    if (capture.wants(layer, head)) {
        AttentionRows rows;
        rows.layer = layer;
        rows.head = head;
        rows.first_query = start_pos;
        rows.n_queries = n;
        rows.n_keys = keys;
        rows.probs.assign(scores_.data(), scores_.data() + scores_.size());
        out.attention.push_back(std::move(rows));
    }
}

void CpuBackend::ffn_block(int layer) {
    const LayerWeights& w = model_->weights.layers[layer];
    timer_.mark(layer, OpKind::FfnNorm);
    norm(w.ffn_norm, w.ffn_norm_bias, xb_);  // [n, dim]

    if (cfg_.arch == Architecture::Llama) {
        timer_.mark(layer, OpKind::FfnGate);
        linear(xb_, w.w_gate, kNoBias, hidden_);  // [n, hidden]
        timer_.mark(layer, OpKind::FfnUp);
        linear(xb_, w.w_up, w.b_up, up_);  // [n, hidden]
        timer_.mark(layer, OpKind::FfnActivation);
        cpu::swiglu(hidden_, up_);
    } else {
        timer_.mark(layer, OpKind::FfnUp);
        linear(xb_, w.w_up, w.b_up, hidden_);  // [n, hidden]
        timer_.mark(layer, OpKind::FfnActivation);
        cpu::gelu_tanh(hidden_);
    }
    timer_.mark(layer, OpKind::FfnDown);
    linear(hidden_, w.w_down, w.b_down, xb_);  // [n, dim]
    timer_.mark(layer, OpKind::Residual);
    x_ += xb_;
}

}  // namespace kvs
