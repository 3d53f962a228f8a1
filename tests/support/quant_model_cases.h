#pragma once
// A small synthetic Llama model 256 values wide (the K types' block) written as GGUF with its
// matrices in one block type and loaded back, and a copy of it with every matrix decoded to
// owned F32: the CPU and Vulkan tests of quantized models compare a backend on the first with
// the CPU on the second (the same values computed another way).
#include <QtTest>

#include "model/gguf_model_writer.h"
#include "model/synthetic_model.h"

namespace kvs::test {

// dim 256, hidden 512, 2 layers, 4 heads over 2 KV heads, 300 tokens, context 64, adjacent-pair
// RoPE with base 10000 and RMSNorm epsilon 1e-5 (also a valid llama2.c model).
inline ModelConfig quant_test_config() {
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.name = "quant-test";
    c.dim = 256;
    c.hidden_dim = 512;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.vocab_size = 300;
    c.max_seq_len = 64;
    c.norm_eps = 1e-5f;
    c.rope_theta = 10000.0f;
    c.rope_style = RopeStyle::AdjacentPairs;
    c.tied_classifier = false;
    return c;
}

// The model written with `type` matrices to `path` and loaded back.
inline std::shared_ptr<Model> written_and_loaded(const Model& source, GgmlType type, const std::string& path) {
    GgufModelWriteOptions o;
    o.matrix_type = type;
    if (const Status s = write_model_gguf(source, path, o); !s.ok()) qFatal("%s", s.message().c_str());
    auto m = load_model(path);
    if (!m.ok()) qFatal("%s", m.message().c_str());
    return *m;
}

// A copy whose matrices are owned F32, decoded from whatever the original stores.
inline std::shared_ptr<Model> decoded_copy(const Model& m) {
    auto copy = std::make_shared<Model>(m);
    auto decode = [](Tensor& t) {
        if (!t.empty() && t.stored != nullptr) t = Tensor{t.to_f32(), t.rows, t.cols};
    };
    decode(copy->weights.token_embedding);
    decode(copy->weights.classifier);
    for (LayerWeights& l : copy->weights.layers)
        for (Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) decode(*t);
    return copy;
}

}  // namespace kvs::test
