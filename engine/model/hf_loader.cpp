#include "model/hf_loader.h"

#include <algorithm>

#include "model/hf_checkpoint.h"
#include "model/hf_config.h"
#include "model/hf_tokenizer.h"
#include "model/hf_weights.h"

namespace kvs {

Result<std::shared_ptr<Model>> load_hf_model(const std::string& dir, const LoadOptions& /*options*/) {
    KVS_ASSIGN(HfConfig cfg, read_hf_config(dir));
    KVS_ASSIGN(const HfCheckpoint checkpoint, HfCheckpoint::open(dir));
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
