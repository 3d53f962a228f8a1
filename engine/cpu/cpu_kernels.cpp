#include "cpu/cpu_kernels.h"

#include <algorithm>
#include <cmath>

namespace kvs::cpu {

void rms_norm(const RowMatrix& x, ConstRowVectorMap weight, float eps, RowMatrix& out) {
    out.resize(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const float mean_square = x.row(i).squaredNorm() / float(x.cols());
        const float scale = 1.0f / std::sqrt(mean_square + eps);
        out.row(i) = (x.row(i) * scale).cwiseProduct(weight);
    }
}

void layer_norm(const RowMatrix& x, ConstRowVectorMap weight, ConstRowVectorMap bias, float eps, RowMatrix& out) {
    out.resize(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const float mean = x.row(i).mean();
        const RowVector centered = x.row(i).array() - mean;
        const float var = centered.squaredNorm() / float(x.cols());
        out.row(i) = (centered * (1.0f / std::sqrt(var + eps))).cwiseProduct(weight) + bias;
    }
}

void rope(RowMatrix& x, int n_heads, int head_dim, int rotary_dim, float theta, RopeStyle style, int first_pos) {
    std::vector<int> positions(std::size_t(x.rows()));
    for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = first_pos + int(i);
    rope(x, n_heads, head_dim, rotary_dim, theta, style, positions);
}

void rope(RowMatrix& x, int n_heads, int head_dim, int rotary_dim, float theta, RopeStyle style,
          std::span<const int> positions) {
    const int half = rotary_dim / 2;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const float pos = float(positions[std::size_t(i)]);
        for (int j = 0; j < half; ++j) {
            // Frequency of pair j: theta^(-2j / rotary_dim), written as llama2.c does so that
            // float rounding matches the reference implementation.
            const float freq = 1.0f / std::pow(theta, float(2 * j) / float(rotary_dim));
            const float angle = pos * freq;
            const float c = std::cos(angle), s = std::sin(angle);
            const int a = style == RopeStyle::AdjacentPairs ? 2 * j : j;
            const int b = style == RopeStyle::AdjacentPairs ? 2 * j + 1 : j + half;
            for (int h = 0; h < n_heads; ++h) {
                float* v = x.row(i).data() + std::ptrdiff_t(h) * head_dim;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}

void softmax(float* x, int n) {
    const float max = *std::max_element(x, x + n);
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const float inv = 1.0f / sum;
    for (int i = 0; i < n; ++i) x[i] *= inv;
}

void gelu_tanh(RowMatrix& x) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    x = x.unaryExpr([](float v) { return 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v))); });
}

void swiglu(RowMatrix& gate, const RowMatrix& up) {
    gate = gate.unaryExpr([](float v) { return v / (1.0f + std::exp(-v)); }).cwiseProduct(up);
}

}  // namespace kvs::cpu
