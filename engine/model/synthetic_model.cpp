#include "model/synthetic_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "model/model_limits.h"
#include "model/model_presets.h"
#include "model/synthetic_tokenizer.h"
#include "model/synthetic_vocabulary.h"

namespace kvs {
namespace {

// Tensors are filled in chunks; each chunk has its own generator stream derived from (seed,
// tensor, chunk), which is what keeps the weights independent of the thread count.
constexpr std::size_t kChunk = std::size_t(1) << 20;

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct FillJob {
    float* data;
    std::size_t count;
    float stddev;
    std::uint64_t stream;  // tensor index
};

// An approximately normal draw: the sum of four 16-bit uniforms (Irwin-Hall, mean 2, variance
// 1/3), centred and scaled to unit variance. Bounded at +-3.46 sigma, which an init does not mind,
// and several times faster than Box-Muller.
void fill_chunk(const FillJob& job, std::size_t chunk, std::uint64_t seed) {
    std::uint64_t state = seed ^ (job.stream * 0xD1B54A32D192ED03ULL) ^ (chunk * 0x8CB92BA72F3D8DD7ULL);
    splitmix64(state);
    const float scale = job.stddev * std::sqrt(3.0f) / 65536.0f;
    const std::size_t begin = chunk * kChunk, end = std::min(job.count, begin + kChunk);
    for (std::size_t i = begin; i < end; ++i) {
        const std::uint64_t r = splitmix64(state);
        const float sum = float((r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48)) + 2.0f;
        job.data[i] = (sum - 2.0f * 65536.0f) * scale;
    }
}

void fill_parallel(const std::vector<FillJob>& jobs, std::uint64_t seed) {
    std::vector<std::pair<std::size_t, std::size_t>> work;  // (job, chunk)
    for (std::size_t j = 0; j < jobs.size(); ++j)
        for (std::size_t c = 0; c * kChunk < jobs[j].count; ++c) work.emplace_back(j, c);
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t w; (w = next.fetch_add(1)) < work.size();)
            fill_chunk(jobs[work[w].first], work[w].second, seed);
    };
    const unsigned n_threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 16u));
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < n_threads; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
}

Result<std::shared_ptr<Model>> make_random_model(const ModelConfig& c, const std::string& source, std::uint64_t seed);

Tensor ones(int n) {
    Tensor t = Tensor::vector(n);
    std::fill(t.data.begin(), t.data.end(), 1.0f);
    return t;
}

}  // namespace

Result<std::shared_ptr<Model>> make_synthetic_model(const std::string& preset, const SyntheticOptions& options) {
    KVS_ASSIGN(ModelPreset p, find_model_preset(preset));
    if (options.layers < 0)
        return err("synthetic model '", preset, "': layers must be positive (0 = the preset's ", p.config.n_layers,
                   "), got ", options.layers);
    ModelConfig c = p.config;
    if (options.layers > 0) c.n_layers = options.layers;
    // The tokenizer first: a named file that does not fit fails before gigabytes are drawn.
    SyntheticTokenizerRequest request;
    request.vocabulary = p.vocabulary;
    request.model_name = p.display_name;
    request.vocab_size = c.vocab_size;
    request.tokenizer = options.tokenizer;
    request.search_dirs = options.search_dirs;
    KVS_ASSIGN(SyntheticTokenizer tok, synthetic_tokenizer(request));
    KVS_ASSIGN(auto model, make_random_model(c, "synthetic:" + preset, options.seed));
    model->tokenizer = std::move(tok.tokenizer);
    model->tokenizer_name = std::move(tok.name);
    model->tokenizer_note = std::move(tok.note);
    return model;
}

Result<std::shared_ptr<Model>> make_synthetic_model(const std::string& preset, int layers_override,
                                                    std::uint64_t seed) {
    SyntheticOptions options;
    options.layers = layers_override;
    options.seed = seed;
    options.tokenizer = "bytes";
    return make_synthetic_model(preset, options);
}

Result<std::shared_ptr<Model>> make_synthetic_model(const ModelConfig& c, const std::string& source,
                                                    std::uint64_t seed) {
    if (c.vocab_size < SyntheticByteTokenizer::kMinVocab)
        return err(source, ": vocab_size ", c.vocab_size, " is below the ", SyntheticByteTokenizer::kMinVocab,
                   " ids the byte tokenizer needs");
    KVS_ASSIGN(auto model, make_random_model(c, source, seed));
    model->tokenizer = std::make_shared<SyntheticByteTokenizer>(c.vocab_size);
    model->tokenizer_name = "bytes";
    model->tokenizer_note = "one token per byte";
    return model;
}

namespace {

Result<std::shared_ptr<Model>> make_random_model(const ModelConfig& c, const std::string& source, std::uint64_t seed) {
    if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
        c.max_seq_len <= 0 || c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0)
        return err(source, ": inconsistent shape (dim ", c.dim, ", hidden ", c.hidden_dim, ", layers ", c.n_layers,
                   ", heads ", c.n_heads, ", KV heads ", c.n_kv_heads, ", context ", c.max_seq_len,
                   "): dims must be positive, dim a multiple of heads, heads a multiple of KV heads");

    KVS_TRY(check_weights_fit(c, source + " with " + std::to_string(c.n_layers) + " layers"));
    auto model = std::make_shared<Model>();
    model->config = c;
    model->source = source;
    model->format = "synthetic";

    const bool gpt2 = c.arch == Architecture::Gpt2;
    const int d = c.dim, h = c.hidden_dim, kv = c.kv_dim();
    const float init = 0.02f;
    const float residual_init = init / std::sqrt(2.0f * c.n_layers);
    std::vector<FillJob> jobs;
    auto random = [&](Tensor t, float stddev) {
        jobs.push_back({nullptr, std::size_t(t.size()), stddev, std::uint64_t(jobs.size())});
        return t;
    };
    // Tensors are created first and filled afterwards, once no vector moves any more.
    ModelWeights& w = model->weights;
    w.source_dtype = "F32";
    std::vector<Tensor*> targets;
    auto add = [&](Tensor& slot, Tensor t, float stddev) {
        slot = random(std::move(t), stddev);
        targets.push_back(&slot);
    };
    add(w.token_embedding, Tensor::matrix(c.vocab_size, d), init);                    // [vocab, d]
    if (gpt2) add(w.position_embedding, Tensor::matrix(c.max_seq_len, d), init / 2);  // [max_seq, d]
    w.layers.resize(std::size_t(c.n_layers));
    for (LayerWeights& l : w.layers) {
        l.attn_norm = ones(d);
        l.ffn_norm = ones(d);
        add(l.wq, Tensor::matrix(d, d), init);             // [d, d]
        add(l.wk, Tensor::matrix(kv, d), init);            // [kv_dim, d]
        add(l.wv, Tensor::matrix(kv, d), init);            // [kv_dim, d]
        add(l.wo, Tensor::matrix(d, d), residual_init);    // [d, d]
        add(l.w_up, Tensor::matrix(h, d), init);           // [hidden, d]
        add(l.w_down, Tensor::matrix(d, h), residual_init);  // [d, hidden]
        if (gpt2) {
            l.attn_norm_bias = Tensor::vector(d);
            l.ffn_norm_bias = Tensor::vector(d);
            l.bo = Tensor::vector(d);
            l.b_up = Tensor::vector(h);
            l.b_down = Tensor::vector(d);
        } else {
            add(l.w_gate, Tensor::matrix(h, d), init);     // [hidden, d]
        }
        if (gpt2 || c.qkv_bias) {
            l.bq = Tensor::vector(d);
            l.bk = Tensor::vector(kv);
            l.bv = Tensor::vector(kv);
        }
    }
    w.final_norm = ones(d);
    if (gpt2) w.final_norm_bias = Tensor::vector(d);
    if (!c.tied_classifier) add(w.classifier, Tensor::matrix(c.vocab_size, d), init);  // [vocab, d]

    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].data = targets[i]->data.data();
    fill_parallel(jobs, seed);
    return model;
}

}  // namespace

}  // namespace kvs
