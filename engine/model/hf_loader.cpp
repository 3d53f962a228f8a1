#include "model/hf_loader.h"

#include <algorithm>
#include <filesystem>

#include "model/hf_checkpoint.h"
#include "model/hf_config.h"
#include "model/hf_tokenizer.h"
#include "model/hf_weights.h"
#include "model/model_limits.h"

namespace kvs {

Result<std::shared_ptr<Model>> load_hf_model(const std::string& dir, const LoadOptions& /*options*/) {
    KVS_ASSIGN(HfConfig cfg, read_hf_config(dir));
    KVS_ASSIGN(const HfCheckpoint checkpoint, HfCheckpoint::open(dir));
    const bool gpt2 = cfg.model.arch == Architecture::Gpt2;
    const std::string prefix = !gpt2 ? "model.layers." : checkpoint.has("transformer.wte.weight") ? "transformer.h." : "h.";
    const std::string origin = "'" + (std::filesystem::path(dir) / "config.json").string() + "'";
    KVS_TRY(check_layer_count(cfg.model.n_layers, count_layers_with_tensors(checkpoint.tensor_names(), prefix), origin,
                              gpt2 ? "n_layer" : "num_hidden_layers", prefix, "the checkpoint"));
    KVS_TRY(check_weights_fit(cfg.model, "'" + dir + "'"));
    auto model = std::make_shared<Model>();
    model->config = cfg.model;
    KVS_ASSIGN(model->weights, read_hf_weights(checkpoint, model->config));

    KVS_ASSIGN(auto tokenizer, load_hf_tokenizer(dir, HfTokenDefaults{cfg.bos_id, cfg.eos_ids}));
    // Embedding tables are often padded past the tokenizer (Qwen2); never the other way round.
    if (tokenizer->vocab_size() > model->config.vocab_size)
        return err("'", dir, "': the tokenizer has ", tokenizer->vocab_size(), " tokens but config.json's vocab_size is ",
                   model->config.vocab_size);
    model->stop_tokens = cfg.eos_ids;
    if (tokenizer->eos_id >= 0 &&
        std::find(model->stop_tokens.begin(), model->stop_tokens.end(), tokenizer->eos_id) == model->stop_tokens.end())
        model->stop_tokens.push_back(tokenizer->eos_id);
    model->tokenizer = std::shared_ptr<const Tokenizer>(std::move(tokenizer));
    model->source = dir;
    model->format = "hf";
    return model;
}

}  // namespace kvs
