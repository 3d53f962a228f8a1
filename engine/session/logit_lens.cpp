#include "session/logit_lens.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cpu/cpu_kernels.h"
#include "cpu/weight_product.h"
#include "model/model.h"

namespace kvs {

ActivationTap lens_tap() {
    ActivationTap tap;
    tap.points = {TapPoint::Embedding, TapPoint::FfnResidual, TapPoint::Logits};
    return tap;
}

Result<LogitLens> logit_lens_of(const Model& model, const std::vector<Activation>& tapped, int row, int top_k) {
    const ModelConfig& cfg = model.config;
    const ModelWeights& w = model.weights;
    // The residual stream at `row`: after the embedding, then after each layer.
    cpu::RowMatrix stream(cfg.n_layers + 1, cfg.dim);
    for (int l = -1; l < cfg.n_layers; ++l) {
        const Activation* a = find_activation(tapped, l, l < 0 ? TapPoint::Embedding : TapPoint::FfnResidual);
        if (!a) return err("logit lens: the pass did not tap ", l < 0 ? "the embedding" : "the residual of layer ", l < 0 ? "" : std::to_string(l));
        if (row < 0 || row >= a->rows) return err("logit lens: row ", row, " is outside the pass's ", a->rows, " rows");
        stream.row(l + 1) = cpu::ConstRowVectorMap(a->row(row), cfg.dim);
    }
    // The model's own last steps, as the backends do them: final norm, classifier.
    cpu::RowMatrix normed, logits;
    const cpu::ConstRowVectorMap norm_w(w.final_norm.data.data(), cfg.dim);
    if (cfg.arch == Architecture::Gpt2)
        cpu::layer_norm(stream, norm_w, cpu::ConstRowVectorMap(w.final_norm_bias.data.data(), cfg.dim), cfg.norm_eps, normed);
    else
        cpu::rms_norm(stream, norm_w, cfg.norm_eps, normed);
    cpu::WeightProduct product(1);
    product.multiply(normed, w.classifier_matrix(), logits);  // [layers + 1, vocab]

    LogitLens lens;
    lens.position = row;
    const int vocab = cfg.vocab_size, k = std::clamp(top_k, 1, vocab);
    std::vector<int> order(std::size_t(vocab), 0);
    for (int l = -1; l < cfg.n_layers; ++l) {
        LensLayer layer;
        layer.layer = l;
        layer.probs.assign(logits.row(l + 1).data(), logits.row(l + 1).data() + vocab);
        cpu::softmax(layer.probs.data(), vocab);
        for (float p : layer.probs)
            if (p > 0) layer.entropy -= double(p) * std::log(double(p));
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
            return layer.probs[std::size_t(a)] > layer.probs[std::size_t(b)] ||
                   (layer.probs[std::size_t(a)] == layer.probs[std::size_t(b)] && a < b);
        });
        for (int i = 0; i < k; ++i) layer.top.push_back({order[std::size_t(i)], layer.probs[std::size_t(order[std::size_t(i)])]});
        lens.layers.push_back(std::move(layer));
    }
    lens.final_token = lens.layers.back().top.front().id;
    for (LensLayer& layer : lens.layers) {
        layer.final_prob = layer.probs[std::size_t(lens.final_token)];
        layer.final_rank = int(std::count_if(layer.probs.begin(), layer.probs.end(),
                                             [&](float p) { return p > layer.final_prob; }));
    }
    return lens;
}

Result<LogitLens> logit_lens(Backend& backend, const Model& model, const std::vector<int>& tokens, int top_k) {
    if (backend.cache_length() != 0)
        return err("logit lens: the backend's default sequence must be empty (it holds ", backend.cache_length(),
                   " positions)");
    if (tokens.empty()) return err("logit lens: no tokens");
    ForwardBatch batch;
    batch.sequences.push_back({Backend::kDefaultSequence, tokens, 0, false});
    batch.tap = lens_tap();
    ForwardOutput out;
    const Status s = backend.forward(batch, out);
    backend.truncate_cache(0);
    if (!s) return s.error();
    return logit_lens_of(model, out.activations, int(tokens.size()) - 1, top_k);
}

}  // namespace kvs
