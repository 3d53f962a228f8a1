// Pre-tokenizer patterns: strings whose split differs between GPT-2's pattern and Llama-3's
// (digits in groups of three, case-insensitive contractions, a symbol joined to the letters of a
// non-Latin word, whitespace runs before newlines and tabs), and SmolLM2's single digits. The
// pieces are written out by hand; the ids are the GPT-2 vocabulary's under each pattern as
// Hugging Face tokenizers 0.23 gives them (Sequence[Split(pattern, isolated), ByteLevel(use_regex
// false)] for Llama-3, Sequence[Digits(individual), ByteLevel] for SmolLM2), run once and
// written here.
#include <QtTest>

#include "model/byte_level_bpe.h"
#include "model/gguf_tokenizer.h"
#include "model/hf_pre_tokenizer.h"
#include "model/pre_tokenizer.h"
#include "test_paths.h"
#include "vocab_fixture.h"

using namespace kvs;

namespace {

struct Case {
    const char* text;
    std::vector<std::string> pieces;
    std::vector<int> ids;  // GPT-2 vocabulary
};

const std::vector<Case> kGpt2 = {
    {"I have 12345 apples", {"I", " have", " 12345", " apples"}, {40, 423, 17031, 2231, 22514}},
    {"I'LL see, they'VE gone", {"I", "'", "LL", " see", ",", " they", "'", "VE", " gone"}, {40, 6, 3069, 766, 11, 484, 6, 6089, 3750}},
    {"Привет,мир! 你好世界", {"Привет", ",", "мир", "!", " 你好世界"},
     {140, 253, 21169, 18849, 38857, 16843, 20375, 11, 43108, 18849, 21169, 0, 220, 19526, 254, 25001, 121, 10310, 244, 45911, 234}},
    {"a\n\n  b   c\t\td", {"a", "\n\n ", " b", "  ", " c", "\t", "\t", "d"}, {64, 628, 220, 275, 220, 220, 269, 197, 197, 67}},
    {"x=1000000;", {"x", "=", "1000000", ";"}, {87, 28, 16, 10535, 26}},
};
const std::vector<Case> kLlama3 = {
    {"I have 12345 apples", {"I", " have", " ", "123", "45", " apples"}, {40, 423, 220, 10163, 2231, 22514}},
    {"I'LL see, they'VE gone", {"I", "'LL", " see", ",", " they", "'VE", " gone"}, {40, 6, 3069, 766, 11, 484, 6, 6089, 3750}},
    {"Привет,мир! 你好世界", {"Привет", ",мир", "!", " 你好世界"},
     {140, 253, 21169, 18849, 38857, 16843, 20375, 11, 43108, 18849, 21169, 0, 220, 19526, 254, 25001, 121, 10310, 244, 45911, 234}},
    {"a\n\n  b   c\t\td", {"a", "\n\n", " ", " b", "  ", " c", "\t", "\td"}, {64, 628, 220, 275, 220, 220, 269, 197, 197, 67}},
    {"x=1000000;", {"x", "=", "100", "000", "0", ";"}, {87, 28, 3064, 830, 15, 26}},
};
const std::vector<Case> kSmollm = {
    {"I have 12345 apples", {"I", " have", " ", "1", "2", "3", "4", "5", " apples"}, {40, 423, 220, 16, 17, 18, 19, 20, 22514}},
    {"x=1000000;", {"x", "=", "1", "0", "0", "0", "0", "0", "0", ";"}, {87, 28, 16, 15, 15, 15, 15, 15, 15, 26}},
};

// Llama-3's tokenizer.json pattern, as it is written there.
const char* const kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

std::vector<std::string> split(const PreTokenizer& p, const char* text) {
    std::vector<std::string> out;
    for (std::string_view piece : p.split(text)) out.emplace_back(piece);
    return out;
}

QString show(const std::vector<std::string>& pieces) {
    QStringList l;
    for (const auto& p : pieces) l << "\"" + QString::fromStdString(p).replace("\n", "\\n").replace("\t", "\\t") + "\"";
    return l.join(", ");
}

// The GPT-2 vocabulary of llama.cpp's test set with another pre-tokenizer.
Result<std::unique_ptr<Tokenizer>> gpt2_vocab_with(std::shared_ptr<const PreTokenizer> pre, const QTemporaryDir& dir) {
    std::string note;
    KVS_ASSIGN(const std::string path, test::usable_vocab_gguf(test::shared_path("models/gguf-vocab/ggml-vocab-gpt-2.gguf"),
                                                                dir.path().toStdString(), note));
    KVS_ASSIGN(auto tok, load_gguf_tokenizer(path));
    ByteLevelVocab v = dynamic_cast<const ByteLevelBpe&>(*tok).vocab();
    v.pre_tokenizer = std::move(pre);
    return make_byte_level_bpe(std::move(v));
}

void check(const std::vector<Case>& cases, std::shared_ptr<const PreTokenizer> pre) {
    QTemporaryDir dir;
    auto tok = gpt2_vocab_with(pre, dir);
    QVERIFY2(tok.ok(), tok.ok() ? "" : tok.message().c_str());
    for (const Case& c : cases) {
        const auto pieces = split(*pre, c.text);
        QVERIFY2(pieces == c.pieces, qPrintable(QString("%1: %2 split into %3, expected %4").arg(
                                         QString::fromStdString(pre->name()), c.text, show(pieces), show(c.pieces))));
        QCOMPARE((*tok)->encode(c.text), c.ids);
        QCOMPARE((*tok)->decode((*tok)->encode(c.text)), std::string(c.text));
    }
}

std::shared_ptr<const PreTokenizer> named(const char* name, bool expect_ignore_merges) {
    bool ignore = !expect_ignore_merges;
    auto p = PreTokenizer::for_gguf_name(name, ignore);
    if (!p.ok() || ignore != expect_ignore_merges) return nullptr;
    return std::make_shared<const PreTokenizer>(std::move(p).value());
}

}  // namespace

class TestPreTokenizers : public QObject {
    Q_OBJECT

private slots:
    void gpt2Pattern() { check(kGpt2, named("gpt-2", false)); }
    void llama3Pattern() { check(kLlama3, named("llama-bpe", true)); }
    void smollmDigits() { check(kSmollm, named("smollm", false)); }

    // The same pre-tokenizers read from tokenizer.json's pre_tokenizer, as Llama-3 and SmolLM2
    // write them.
    void tokenizerJsonForms() {
        using nlohmann::json;
        const json llama3_json = {
            {"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"}, {"pattern", {{"Regex", kLlama3Regex}}}, {"behavior", "Isolated"}, {"invert", false}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
        const auto llama3 = hf_pre_tokenizer(llama3_json, "llama3");
        QVERIFY2(llama3.ok(), llama3.ok() ? "" : llama3.message().c_str());
        check(kLlama3, *llama3);
        const json smollm_json = {
            {"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Digits"}, {"individual_digits", true}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}}}};
        const auto smollm = hf_pre_tokenizer(smollm_json, "smollm");
        QVERIFY2(smollm.ok(), smollm.ok() ? "" : smollm.message().c_str());
        check(kSmollm, *smollm);
        const json literal_json = {{"type", "Split"}, {"pattern", {{"String", "a.b"}}}, {"behavior", "Removed"}};
        const auto literal = hf_pre_tokenizer(literal_json, "literal");
        QVERIFY(literal.ok());
        QCOMPARE(split(**literal, "xa.bya+b"), (std::vector<std::string>{"x", "ya+b"}));  // "." is literal
    }

    void unsupportedFormsAreNamed() {
        const nlohmann::json merged_json = {{"type", "Split"}, {"pattern", {{"Regex", "x"}}}, {"behavior", "MergedWithPrevious"}};
        const auto merged = hf_pre_tokenizer(merged_json, "'t.json'");
        QVERIFY(!merged.ok());
        QVERIFY2(merged.message().find("'MergedWithPrevious' is not supported") != std::string::npos, merged.message().c_str());
        const auto bert = hf_pre_tokenizer(nlohmann::json{{"type", "BertPreTokenizer"}}, "'t.json'");
        QVERIFY(!bert.ok());
        QVERIFY2(bert.message().find("'BertPreTokenizer' is not supported") != std::string::npos, bert.message().c_str());
        const auto bad = PreTokenizer::create({{"(unclosed", PreTokenizer::Behavior::Isolated}}, "broken");
        QVERIFY(!bad.ok());
        QVERIFY2(bad.message().find("does not compile at offset") != std::string::npos, bad.message().c_str());
        bool ignore = false;
        const auto unknown = PreTokenizer::for_gguf_name("no-such-model", ignore);
        QVERIFY(!unknown.ok());
        QVERIFY2(unknown.message().find("'no-such-model'") != std::string::npos &&
                     unknown.message().find("smollm") != std::string::npos,
                 unknown.message().c_str());
    }

    // ignore_merges (Llama-3): a piece that is a token as a whole is that token even when the
    // merges would not build it. Vocabulary: the bytes a, b, c, the token "abc"; one merge "a b".
    void ignoreMergesTakesWholePieces() {
        ByteLevelVocab v;
        for (int b = 0; b < 256; ++b) v.tokens.push_back(ByteLevelBpe::byte_char(std::uint8_t(b)));
        v.tokens.push_back("ab");   // 256
        v.tokens.push_back("abc");  // 257
        v.merges = {"a b"};
        auto plain = make_byte_level_bpe(v);
        v.ignore_merges = true;
        auto whole = make_byte_level_bpe(v);
        QVERIFY(plain.ok() && whole.ok());
        QCOMPARE((*plain)->encode("abc"), (std::vector<int>{256, 'c'}));
        QCOMPARE((*whole)->encode("abc"), (std::vector<int>{257}));
        QCOMPARE((*whole)->encode("abcd"), (std::vector<int>{256, 'c', 'd'}));  // "abcd" is no token: merges apply
    }
};

QTEST_APPLESS_MAIN(TestPreTokenizers)
#include "test_pre_tokenizers.moc"
