#pragma once
// The model's weights on the device, uploaded once when the backend is created. Matrices keep
// the type the model stores them in (F16, BF16 and ggml's block types, byte for byte as in the
// file, decoded inside the shaders as they are read); F32 matrices stay F32, or become packed
// F16 with BackendOptions::f16_weights. Norm weights, biases and learned positions are F32. A
// matrix larger than one storage-buffer binding is bound in row chunks.
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
    WeightType type = WeightType::F32;  // as stored on the device
    std::vector<RowChunk> chunks;       // covers all rows; one chunk when the tensor fits a binding

    bool empty() const { return rows == 0; }
    // Bytes between rows (what the block-type shaders get as w_stride) and of the whole tensor.
    std::int64_t row_stride() const { return row_bytes(type, cols); }
    VkDeviceSize bytes() const { return VkDeviceSize(rows) * VkDeviceSize(row_stride()); }
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
    std::int64_t bytes = 0;   // every tensor as stored on the device
    // Bytes and values of the matrices a decode step reads (layer matrices and the classifier):
    // the average bytes per value the cost model counts.
    std::int64_t decode_matrix_bytes = 0;
    std::int64_t decode_matrix_values = 0;

    const DeviceTensor& classifier_matrix() const { return classifier.empty() ? token_embedding : classifier; }
};

// Row chunks of a matrix of `rows` rows of `row_bytes` bytes such that each binding stays within
// max_range bytes and starts at a multiple of align (and of 4: the block-type shaders address
// bytes within 32-bit words). A chunk's range is rounded up to whole words; the buffer is too.
std::vector<RowChunk> plan_row_chunks(int rows, std::int64_t row_bytes, VkDeviceSize max_range, VkDeviceSize align);

// The type a matrix is stored in on the device: its own when the shaders read it (F16 with an
// even row width, BF16 with a multiple of 8, every block type), else F32, or F16 when `f16`
// asks for it (F32 sources).
WeightType device_weight_type(const Tensor& t, bool f16);
// Bytes of every tensor as upload_weights() stores it (checked against device memory first).
std::int64_t device_weight_bytes(const ModelWeights& w, bool f16);

Result<DeviceWeights> upload_weights(const VulkanContext& ctx, Uploader& uploader, const ModelWeights& w, bool f16);

}  // namespace kvs::vk
