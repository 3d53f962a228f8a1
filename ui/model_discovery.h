#pragma once
// Finds models on disk for the model panel: llama2.c checkpoints (with a tokenizer beside
// them), GGUF files that carry weights, and Hugging Face folders (config.json + safetensors),
// including the Hugging Face hub cache layout (models--org--name/snapshots/<hash>/).
// Pure functions of the file system: no settings, no Qt widgets, easy to test.
#include <QString>
#include <QStringList>
#include <vector>

namespace kvs::ui {

struct DiscoveredModel {
    QString name;       // what the list shows ("stories260K", "openai-community/gpt2")
    QString path;       // file (llama2.c, GGUF) or folder (Hugging Face)
    QString tokenizer;  // llama2.c tokenizer.bin to load with it; empty when the format carries one
    QString format;     // "llama2c", "gguf", "hf"
};

// Where models are looked for, in order. Missing folders are fine (they are skipped).
struct DiscoveryRoots {
    QStringList model_dirs;  // folders whose subfolders (or files) are models: ../shared/models
    QStringList hub_dirs;    // Hugging Face hub caches: ~/.cache/huggingface/hub
};

// The standard roots: ../shared/models next to the current directory and next to the source
// checkout the executable was built from (found by walking up from its folder), every folder in
// $KVSCOPE_MODEL_PATH (separated by ':'), ~/.cache/kvscope (scripts/kvscope.sh fetch-models) and
// ~/.cache/huggingface/hub (or $HF_HOME/hub).
DiscoveryRoots default_discovery_roots(const QString& current_dir, const QString& executable_dir,
                                       const QString& home_dir, const QString& model_path_env,
                                       const QString& hf_home_env = {});

// Every model under the roots, each path once, in root order then by name.
std::vector<DiscoveredModel> discover_models(const DiscoveryRoots& roots);

// The llama2.c checkpoint header is plausible (7 positive int32 fields, sizes that fit).
bool looks_like_llama2c_checkpoint(const QString& file);
// The format name every model list uses for a path: "hf" (a folder), "gguf", "llama2c", or the
// file's suffix when it is none of them.
QString model_format_of(const QString& path);
// A GGUF file that holds tensors (vocabulary-only GGUF files hold none).
bool is_gguf_with_tensors(const QString& file);
// The tokenizer.bin for a llama2.c checkpoint: tokenizer.bin or tok*.bin beside it; empty if none.
QString tokenizer_beside(const QString& checkpoint);

// stories260K (the default model) under the roots: {checkpoint, tokenizer}, or empty strings.
DiscoveredModel find_default_model(const DiscoveryRoots& roots);

}  // namespace kvs::ui
