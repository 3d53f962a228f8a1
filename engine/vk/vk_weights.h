#pragma once
// The model's weights on the device, uploaded once when the backend is created. Matrices are
// F32 or packed F16 (BackendOptions::f16_weights); norm weights, biases and learned positions
// stay F32. A matrix larger than one storage-buffer binding is bound in row chunks.
#include <cstdint>
#include <vector>

#include "core/result.h"
#include "model/weights.h"
#include "vk/vk_buffer.h"

namespace kvs::vk {

// Rows [row0, row0 + rows) of a matrix, bound at byte `offset` with `range` bytes.
struct RowChunk {
    std::uint32_t row0 = 0;
    std::uint32_t rows = 0;
    VkDeviceSize offset = 0;
    VkDeviceSize range = 0;
};

struct DeviceTensor {
    Buffer buffer;
    int rows = 0;
    int cols = 0;
    bool f16 = false;
    std::vector<RowChunk> chunks;  // covers all rows; one chunk when the tensor fits a binding

    bool empty() const { return rows == 0; }
    VkDeviceSize bytes() const { return VkDeviceSize(rows) * cols * (f16 ? 2 : 4); }
};

struct DeviceLayer {
    DeviceTensor attn_norm, attn_norm_bias;
    DeviceTensor wq, wk, wv, bq, bk, bv;
    DeviceTensor wo, bo;
    DeviceTensor ffn_norm, ffn_norm_bias;
    DeviceTensor w_gate, w_up, b_up, w_down, b_down;
};

struct DeviceWeights {
    DeviceTensor token_embedding;
    DeviceTensor position_embedding;  // GPT-2 only
    std::vector<DeviceLayer> layers;
    DeviceTensor final_norm, final_norm_bias;
    DeviceTensor classifier;  // empty when tied to token_embedding
    std::int64_t bytes = 0;

    const DeviceTensor& classifier_matrix() const { return classifier.empty() ? token_embedding : classifier; }
};

// Row chunks of a [rows, cols] matrix with `elem_bytes` per element such that each binding
// stays within max_range bytes and starts at a multiple of align.
std::vector<RowChunk> plan_row_chunks(int rows, int cols, int elem_bytes, VkDeviceSize max_range, VkDeviceSize align);

Result<DeviceWeights> upload_weights(const VulkanContext& ctx, Uploader& uploader, const ModelWeights& w, bool f16);

}  // namespace kvs::vk
