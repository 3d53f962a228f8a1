#include "model/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "model/utf8.h"

namespace kvs {

struct PreTokenizer::Compiled {
    pcre2_code* code = nullptr;
    Behavior behavior = Behavior::Isolated;
    ~Compiled() { pcre2_code_free(code); }
};

namespace {

// GPT-2's pattern: contractions, letters, digits and other symbols each with one optional
// leading space, then whitespace (a run before a non-space keeps its last space for the word).
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama-3: case-insensitive contractions, a letter run with at most one leading non-letter,
// digits in groups of up to three, symbols with trailing newlines, newline runs.
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: Llama-3's pattern with single digits.
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// DeepSeek LLM: cased letters (written as code points), ASCII and full-width punctuation,
// CJK and Hangul runs.
constexpr const char* kDeepseekLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF})"
    R"(\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5})"
    R"(\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD})"
    R"(\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15})"
    R"(\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D})"
    R"(\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB})"
    R"(\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D})"
    R"(\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E})"
    R"(\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
    R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06})"
    R"(\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB})"
    R"(\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
constexpr const char* kDeepseekPunctuation = R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
constexpr const char* kCjk = R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
// GPT-2's pattern as llama.cpp lists it for models that split digits or symbols first.
constexpr const char* kGpt2Words = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct NamedPreTokenizer {
    std::vector<const char*> names;  // tokenizer.ggml.pre values
    std::vector<const char*> patterns;
    bool ignore_merges = false;
};

// The pre-tokenizers of the models llama.cpp converts, by the names its converter writes.
const std::vector<NamedPreTokenizer>& named() {
    static const std::vector<NamedPreTokenizer> table = {
        {{"gpt-2", "gpt2", "mpt", "olmo", "jais", "trillion"}, {kGpt2}},
        {{"llama3", "llama-v3", "llama-bpe", "falcon3"}, {kLlama3}, true},
        {{"dbrx", "smaug-bpe"}, {kLlama3}},
        {{"qwen2", "qwen2.5", "stablelm2", "deepseek-r1-qwen", "hunyuan"}, {kQwen2}},
        {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva"}, {R"(\p{N})", kGpt2Words}},
        {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2Words, "[0-9][0-9][0-9]"}},
        {{"deepseek-llm"}, {"[\r\n]", kDeepseekLetters, kDeepseekPunctuation, R"(\s+$)", kCjk, R"(\p{N}+)"}},
        {{"deepseek-coder"}, {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"}},
        {{"default"}, {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2Words, R"(\p{N}+)", "[0-9][0-9][0-9]"}},
    };
    return table;
}

}  // namespace

const char* PreTokenizer::gpt2_pattern() { return kGpt2; }

Result<PreTokenizer> PreTokenizer::create(std::vector<Step> steps, std::string name) {
    PreTokenizer p;
    p.name_ = std::move(name);
    for (const Step& s : steps) {
        int code = 0;
        PCRE2_SIZE offset = 0;
        // MATCH_INVALID_UTF lets malformed input through (bytes no branch matches stay pieces of
        // their own); DOLLAR_ENDONLY makes `$` the end of the piece only, as in the patterns' origin.
        pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(s.pattern.data()), s.pattern.size(),
                                      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &code,
                                      &offset, nullptr);
        if (c == nullptr) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(code, message, sizeof message);
            return err("pre-tokenizer '", p.name_, "': pattern '", s.pattern, "' does not compile at offset ", offset, ": ",
                       reinterpret_cast<const char*>(message));
        }
        pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);  // optional: without JIT support matching is interpreted
        auto compiled = std::make_shared<Compiled>();
        compiled->code = c;
        compiled->behavior = s.behavior;
        p.steps_.push_back(std::move(compiled));
    }
    return p;
}

const PreTokenizer& PreTokenizer::gpt2() {
    static const PreTokenizer p = [] {
        auto r = create({{kGpt2, Behavior::Isolated}}, "gpt-2");
        return r.ok() ? std::move(r).value() : PreTokenizer{};  // the pattern is fixed and compiles
    }();
    return p;
}

Result<PreTokenizer> PreTokenizer::for_gguf_name(std::string_view pre, bool& ignore_merges) {
    for (const NamedPreTokenizer& n : named())
        for (const char* name : n.names)
            if (pre == name) {
                std::vector<Step> steps;
                for (const char* pattern : n.patterns) steps.push_back({pattern, Behavior::Isolated});
                ignore_merges = n.ignore_merges;
                return create(std::move(steps), std::string(pre));
            }
    std::string known;
    for (const std::string& n : gguf_names()) known += (known.empty() ? "" : ", ") + n;
    return err("pre-tokenizer '", pre, "' (key 'tokenizer.ggml.pre') is not known; known: ", known);
}

std::vector<std::string> PreTokenizer::gguf_names() {
    std::vector<std::string> out;
    for (const NamedPreTokenizer& n : named()) out.insert(out.end(), n.names.begin(), n.names.end());
    return out;
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> pieces;
    if (!text.empty()) pieces.push_back(text);
    std::vector<std::string_view> next;
    for (const auto& step : steps_) {
        next.clear();
        pcre2_match_data* match = pcre2_match_data_create_from_pattern(step->code, nullptr);
        const bool keep_matches = step->behavior == Behavior::Isolated;
        for (std::string_view piece : pieces) {
            // Each piece is matched on its own: lookaheads and `$` see its end, not the text's.
            const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
            std::size_t pos = 0;
            while (pos < piece.size()) {
                const int rc = pcre2_match(step->code, subject, piece.size(), pos, 0, match, nullptr);
                if (rc < 0) {
                    next.push_back(piece.substr(pos));
                    break;
                }
                const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
                if (ov[0] > pos) next.push_back(piece.substr(pos, ov[0] - pos));  // text between matches
                if (ov[1] == ov[0]) {  // an empty match would not advance: step over one character
                    const std::size_t n = utf8::char_length_at(piece, ov[0]);
                    next.push_back(piece.substr(ov[0], n));
                    pos = ov[0] + n;
                    continue;
                }
                if (keep_matches) next.push_back(piece.substr(ov[0], ov[1] - ov[0]));
                pos = ov[1];
            }
        }
        pcre2_match_data_free(match);
        pieces.swap(next);
    }
    return pieces;
}

}  // namespace kvs
