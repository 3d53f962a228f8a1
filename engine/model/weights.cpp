#include "model/weights.h"

#include <cstring>

#include "model/dequantize.h"

namespace kvs {

void Tensor::row_to_f32(int r, float* out) const {
    if (stored == nullptr) {
        std::copy_n(data.data() + std::int64_t(r) * cols, cols, out);
        return;
    }
    dequantize(type, row_bytes_at(r), cols, out);
}

std::vector<float> Tensor::rows_to_f32(int first, int n) const {
    std::vector<float> out(std::size_t(n) * std::size_t(cols));
    for (int i = 0; i < n; ++i) row_to_f32(first + i, out.data() + std::size_t(i) * std::size_t(cols));
    return out;
}

namespace {

template <typename F>
void for_each_matrix(const ModelWeights& w, F&& f) {
    f(w.token_embedding);
    f(w.position_embedding);
    f(w.classifier);
    for (const LayerWeights& l : w.layers)
        for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) f(*t);
}

}  // namespace

std::int64_t ModelWeights::storage_bytes() const {
    std::int64_t bytes = 0;
    for_each_matrix(*this, [&](const Tensor& t) { bytes += t.empty() ? 0 : t.storage_bytes(); });
    for (const Tensor* t : {&final_norm, &final_norm_bias}) bytes += std::int64_t(t->data.size()) * 4;
    for (const LayerWeights& l : layers)
        for (const Tensor* t : {&l.attn_norm, &l.attn_norm_bias, &l.bq, &l.bk, &l.bv, &l.bo, &l.ffn_norm,
                                &l.ffn_norm_bias, &l.b_up, &l.b_down})
            bytes += std::int64_t(t->data.size()) * 4;
    return bytes;
}

std::int64_t ModelWeights::decode_matrix_values() const {
    std::int64_t values = classifier_matrix().size();
    for (const LayerWeights& l : layers)
        for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
            if (!t->empty()) values += t->size();
    return values;
}

double ModelWeights::matrix_bytes_per_value() const {
    double bytes = 0.0, values = 0.0;
    for (const LayerWeights& l : layers)
        for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
            if (!t->empty()) bytes += double(t->storage_bytes()), values += double(t->size());
    const Tensor& c = classifier_matrix();
    if (!c.empty()) bytes += double(c.storage_bytes()), values += double(c.size());
    return values > 0.0 ? bytes / values : 4.0;
}

}  // namespace kvs
