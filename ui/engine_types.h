#pragma once
// Plain values that cross from the engine thread to the GUI thread through queued signals.
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

#include "core/backend.h"
#include "core/events.h"
#include "model/sampler.h"
#include "session/debugger.h"
#include "session/run_comparison.h"

namespace kvs::ui {

// What the GUI shows about a loaded model.
struct ModelInfo {
    QString name;
    QString source;        // path, or "synthetic:PRESET"
    QString format;        // "llama2c", "gguf", "hf", "synthetic"
    QString architecture;  // "llama", "gpt2"
    int layers = 0, heads = 0, kv_heads = 0, dim = 0, hidden_dim = 0, head_dim = 0;
    int vocab_size = 0, context = 0;
    qint64 parameters = 0;
    qint64 kv_bytes_per_token_f32 = 0;
    bool has_tokenizer = false;
    bool random_weights = false;  // a synthetic model: real shapes, seeded random weights
    QString tokenizer_name;       // synthetic models: "Llama 2, 32000 tokens" or "bytes"
    QString tokenizer_note;       // synthetic models: the tokenizer's file, or why the tokens are bytes
    QString default_prompt;  // a prompt the tokenizer can encode whole
};

// Everything configure() needs to start a run.
struct RunSettings {
    QString prompt;
    QStringList more_prompts;              // each another sequence in the same KV block pool
    int block_size = 16;                   // positions per KV block; 0 = one contiguous block per sequence
    bool prefix_cache = false;             // sequences share blocks of equal prompt prefixes
    kvs::SamplingOptions sampling;
    QString backend = "cpu";
    QString device;                        // Vulkan: device index or name substring; empty = the best
    kvs::KvDtype kv_dtype = kvs::KvDtype::F32;  // storage of the cache, on either backend
    int threads = 0;                       // CPU: threads of the forward pass; 0 = every core
    bool use_cache = true;
    kvs::AttentionCapture capture;
};

// The debugger's state after each piece of work (runs of one prompt): the branch tree with each
// branch's text and memory, the breakpoints, and why the last run stopped.
struct DebuggerState {
    bool available = false;  // false without a run, or for runs of several prompts
    std::vector<kvs::BranchInfo> branches;
    std::vector<kvs::Breakpoint> breakpoints;
    int active_branch = 0;
    int next_step = 0;
    QString stop;            // "breakpoint 2 (entropy>2.5): entropy 2.71", "" when none
};

// One side of a comparison of two runs (docs/DEBUGGER.md "Comparing two runs").
struct CompareSide {
    QString backend = "cpu";
    bool use_cache = true;                      // false: every step recomputes the whole sequence
    kvs::KvDtype kv_dtype = kvs::KvDtype::F32;
    kvs::SamplingOptions sampling;              // greedy by default
};

// The prompt run twice, with the settings of A and of B, on the loaded model.
struct CompareSettings {
    QString prompt;
    int max_new = 40;
    int top_k = 10;                             // most likely tokens kept per step
    CompareSide a, b;
};

using EventBatch = std::vector<kvs::Event>;
// How a batch crosses from the worker to the controller: shared, so that the queued signal and
// the controller's queue pass a pointer instead of copying a step's attention rows twice.
using SharedEventBatch = std::shared_ptr<const EventBatch>;

// Registers the types above (and the event batch) with Qt's meta-type system; idempotent.
void register_engine_metatypes();

}  // namespace kvs::ui

Q_DECLARE_METATYPE(kvs::ui::ModelInfo)
Q_DECLARE_METATYPE(kvs::ui::DebuggerState)
Q_DECLARE_METATYPE(kvs::ui::CompareSettings)
Q_DECLARE_METATYPE(kvs::RunComparison)
Q_DECLARE_METATYPE(kvs::ui::EventBatch)
Q_DECLARE_METATYPE(kvs::ui::SharedEventBatch)
