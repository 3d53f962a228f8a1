#pragma once
// The reference math of one transformer block, row by row, on Eigen matrices. Readable first:
// this is the spec every GPU kernel is checked against.
#include <Eigen/Core>
#include <span>
#include <vector>

#include "model/model_config.h"

namespace kvs::cpu {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using ConstRowVectorMap = Eigen::Map<const RowVector>;

// x: [n, dim] -> out: [n, dim]; out = x / rms(x) * weight
void rms_norm(const RowMatrix& x, ConstRowVectorMap weight, float eps, RowMatrix& out);
// x: [n, dim] -> out: [n, dim]; out = (x - mean) / sqrt(var + eps) * weight + bias
void layer_norm(const RowMatrix& x, ConstRowVectorMap weight, ConstRowVectorMap bias, float eps, RowMatrix& out);

// Rotates each head of x: [n, n_heads * head_dim] in place; row i is at position positions[i].
void rope(RowMatrix& x, int n_heads, int head_dim, int rotary_dim, float theta, RopeStyle style,
          std::span<const int> positions);
// The same with row i at position first_pos + i.
void rope(RowMatrix& x, int n_heads, int head_dim, int rotary_dim, float theta, RopeStyle style, int first_pos);

// In place over a row: softmax(x) with the max subtracted for stability.
void softmax(float* x, int n);

// x: [n, hidden] in place; tanh approximation of GELU (GPT-2's gelu_new).
void gelu_tanh(RowMatrix& x);
// gate: [n, hidden] becomes silu(gate) * up.
void swiglu(RowMatrix& gate, const RowMatrix& up);

}  // namespace kvs::cpu
