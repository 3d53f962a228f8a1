#include "model/llama2c_files.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace kvs {

bool looks_like_llama2c_checkpoint(const std::string& path) {
    // Header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative = untied
    // classifier), seq_len; then at least the token embedding [vocab, dim] as float32.
    std::array<std::int32_t, 7> h{};
    std::ifstream f(path, std::ios::binary);
    if (!f.read(reinterpret_cast<char*>(h.data()), sizeof h)) return false;
    const auto [dim, hidden, layers, heads, kv_heads, vocab_signed, seq_len] = h;
    const std::int64_t vocab = vocab_signed < 0 ? -std::int64_t(vocab_signed) : vocab_signed;
    if (dim <= 0 || hidden <= 0 || layers <= 0 || layers > 1024 || heads <= 0 || kv_heads <= 0) return false;
    if (kv_heads > heads || dim % heads != 0 || vocab <= 0 || seq_len <= 0 || seq_len > (1 << 22)) return false;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return !ec && std::int64_t(size) >= 28 + vocab * dim * 4;
}

std::string llama2c_tokenizer_beside(const std::string& checkpoint) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(checkpoint).parent_path().empty() ? fs::path(".") : fs::path(checkpoint).parent_path();
    std::error_code ec;
    if (fs::is_regular_file(dir / "tokenizer.bin", ec)) return (dir / "tokenizer.bin").string();
    std::vector<fs::path> candidates;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file(ec) && name.size() > 7 && name.rfind("tok", 0) == 0 &&
            name.compare(name.size() - 4, 4, ".bin") == 0)
            candidates.push_back(entry.path());
    }
    std::sort(candidates.begin(), candidates.end());
    for (const fs::path& p : candidates)
        if (!fs::equivalent(p, checkpoint, ec) && !looks_like_llama2c_checkpoint(p.string())) return p.string();
    // A SentencePiece model (the protobuf the llama2.c tokenizer.bin is exported from).
    if (fs::is_regular_file(dir / "tokenizer.model", ec)) return (dir / "tokenizer.model").string();
    return {};
}

}  // namespace kvs
