#include "model/synthetic_vocabulary.h"

#include <filesystem>
#include <system_error>

#include "model/hf_tokenizer.h"
#include "model/llama2c_loader.h"
#include "model/synthetic_tokenizer.h"

namespace kvs {
namespace {

namespace fs = std::filesystem;

struct KnownVocabulary {
    const char* name;
    const char* display;
    std::vector<const char*> paths;  // relative to a search folder; a folder means Hugging Face files
};

const std::vector<KnownVocabulary>& known_vocabularies() {
    static const std::vector<KnownVocabulary> known = {
        {"llama2", "Llama 2", {"llama2-tokenizer/tokenizer.bin"}},
        {"stories260k", "stories260K", {"stories260K/tok512.bin"}},
        {"gpt2", "GPT-2", {"gpt2-tokenizer", "gpt2"}},
    };
    return known;
}

bool is_hf_tokenizer_folder(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec) &&
           (fs::exists(dir / "tokenizer.json", ec) ||
            (fs::exists(dir / "vocab.json", ec) && fs::exists(dir / "merges.txt", ec)));
}

// A tokenizer file or folder, with its ids checked against the model's vocabulary.
Result<std::shared_ptr<const Tokenizer>> load_tokenizer_at(const std::string& path, int vocab_size) {
    std::error_code ec;
    std::unique_ptr<Tokenizer> tok;
    if (fs::is_directory(path, ec)) {
        KVS_ASSIGN(tok, load_hf_tokenizer(path, HfTokenDefaults{}));
    } else {
        // llama2.c files carry no count: reading exactly the model's vocab_size tokens and
        // checking that the file ends there is what ties the file to the model.
        KVS_ASSIGN(tok, load_llama2c_tokenizer(path, vocab_size));
    }
    if (tok->vocab_size() > vocab_size)
        return err("tokenizer '", path, "' has ", tok->vocab_size(), " tokens, more than the model's vocab_size ",
                   vocab_size);
    return std::shared_ptr<const Tokenizer>(std::move(tok));
}

std::string name_of(const std::string& display, const Tokenizer& t) {
    return display + ", " + std::to_string(t.vocab_size()) + " tokens";
}

Result<SyntheticTokenizer> bytes(const SyntheticTokenizerRequest& r, const std::string& note) {
    if (r.vocab_size < SyntheticByteTokenizer::kMinVocab)
        return err(r.model_name, ": vocab_size ", r.vocab_size, " is below the ", SyntheticByteTokenizer::kMinVocab,
                   " ids the byte tokenizer needs (", note, ")");
    SyntheticTokenizer out{std::make_shared<SyntheticByteTokenizer>(r.vocab_size), "bytes",
                           "one token per byte: " + note};
    return out;
}

std::string joined(const std::vector<std::string>& dirs) {
    if (dirs.empty()) return "no search folder";
    std::string s;
    for (const auto& d : dirs) s += (s.empty() ? "" : ", ") + d;
    return s;
}

}  // namespace

Result<SyntheticTokenizer> synthetic_tokenizer(const SyntheticTokenizerRequest& r) {
    if (r.tokenizer == "bytes") return bytes(r, "asked for");
    if (!r.tokenizer.empty()) {
        KVS_ASSIGN(auto tok, load_tokenizer_at(r.tokenizer, r.vocab_size));
        SyntheticTokenizer out{tok, name_of(fs::path(r.tokenizer).filename().string(), *tok), "from " + r.tokenizer};
        return out;
    }
    const KnownVocabulary* known = nullptr;
    for (const KnownVocabulary& k : known_vocabularies())
        if (r.vocabulary == k.name) known = &k;
    if (!known) {
        if (r.vocabulary.empty()) return bytes(r, "no vocabulary is known for this shape");
        return bytes(r, "kvscope has no copy of the " + r.model_name + " vocabulary ('" + r.vocabulary +
                                       "'); --tokenizer FILE names one");
    }
    std::string problems, looked_for;
    for (const char* rel : known->paths) looked_for += (looked_for.empty() ? "" : " or ") + std::string(rel);
    for (const std::string& dir : r.search_dirs)
        for (const char* rel : known->paths) {
            const fs::path candidate = fs::path(dir) / rel;
            std::error_code ec;
            const bool folder = fs::path(rel).extension().empty();
            if (folder ? !is_hf_tokenizer_folder(candidate) : !fs::is_regular_file(candidate, ec)) continue;
            auto tok = load_tokenizer_at(candidate.string(), r.vocab_size);
            if (!tok) {
                problems += "; " + tok.message();
                continue;
            }
            SyntheticTokenizer out{*tok, name_of(known->display, **tok),
                                   std::string(known->display) + " vocabulary from " + candidate.string()};
            return out;
        }
    return bytes(r, "the " + std::string(known->display) + " vocabulary (" + looked_for + ") was not found in " +
                                   joined(r.search_dirs) + problems +
                                   "; --tokenizer FILE or a folder in KVSCOPE_MODEL_PATH supplies it");
}

}  // namespace kvs
