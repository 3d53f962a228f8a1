// Writes seed inputs for the fuzz targets: small valid files of every format, written by the
// test suite's writers from two tiny models (the Llama of tests/data/hostile/tiny-llama.gguf
// and a GPT-2 made here), so that mutations start from files that load completely.
//   make_fuzz_seeds OUT_DIR TESTS_DATA_DIR
// OUT_DIR gets one folder per target (gguf/, safetensors/, hf_config/, ...); scripts/fuzz.sh
// adds the files of ../shared/models and tests/data to them.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "gguf_model_writer.h"
#include "hf_model_writer.h"
#include "model/model.h"

using namespace kvs;
namespace fs = std::filesystem;

namespace {

Tensor random_tensor(std::mt19937& rng, int rows, int cols) {
    std::normal_distribution<float> dist(0.0f, 0.2f);
    Tensor t = rows == 1 ? Tensor::vector(cols) : Tensor::matrix(rows, cols);
    for (float& x : t.data) x = dist(rng);
    return t;
}

// GPT-2 shape, dim 8, one layer, 16 positions; the vocabulary is makemore-names' ('.' and
// a..z) plus a space and two merges, as a byte-level BPE.
std::shared_ptr<Model> tiny_gpt2() {
    auto m = std::make_shared<Model>();
    ModelConfig& c = m->config;
    c.arch = Architecture::Gpt2;
    c.name = "tiny-gpt2";
    c.dim = 8, c.hidden_dim = 32, c.n_layers = 1, c.n_heads = 2, c.n_kv_heads = 2, c.max_seq_len = 16;
    c.qkv_bias = true;
    ByteLevelVocab v;
    v.tokens = {"<|endoftext|>", "."};
    for (char ch = 'a'; ch <= 'z'; ++ch) v.tokens.push_back(std::string(1, ch));
    v.tokens.insert(v.tokens.end(), {"\xC4\xA0", "\xC4\xA0" "a", "ab"});  // "Ġ", "Ġa", "ab"
    v.merges = {"\xC4\xA0 a", "a b"};
    v.types.assign(v.tokens.size(), 1);
    v.types[0] = 3;
    v.eos_id = 0;
    c.vocab_size = int(v.tokens.size());
    m->tokenizer = std::move(make_byte_level_bpe(std::move(v))).value();
    std::mt19937 rng(11);
    ModelWeights& w = m->weights;
    w.token_embedding = random_tensor(rng, c.vocab_size, c.dim);
    w.position_embedding = random_tensor(rng, c.max_seq_len, c.dim);
    LayerWeights L;
    L.attn_norm = random_tensor(rng, 1, c.dim), L.attn_norm_bias = random_tensor(rng, 1, c.dim);
    L.wq = random_tensor(rng, c.dim, c.dim), L.wk = random_tensor(rng, c.dim, c.dim), L.wv = random_tensor(rng, c.dim, c.dim);
    L.bq = random_tensor(rng, 1, c.dim), L.bk = random_tensor(rng, 1, c.dim), L.bv = random_tensor(rng, 1, c.dim);
    L.wo = random_tensor(rng, c.dim, c.dim), L.bo = random_tensor(rng, 1, c.dim);
    L.ffn_norm = random_tensor(rng, 1, c.dim), L.ffn_norm_bias = random_tensor(rng, 1, c.dim);
    L.w_up = random_tensor(rng, c.hidden_dim, c.dim), L.b_up = random_tensor(rng, 1, c.hidden_dim);
    L.w_down = random_tensor(rng, c.dim, c.hidden_dim), L.b_down = random_tensor(rng, 1, c.dim);
    w.layers.push_back(std::move(L));
    w.final_norm = random_tensor(rng, 1, c.dim), w.final_norm_bias = random_tensor(rng, 1, c.dim);
    w.classifier = random_tensor(rng, c.vocab_size, c.dim);
    m->stop_tokens = {0};
    return m;
}

// The tiny Llama's vocabulary on a shape whose rows fill ggml's quantization blocks (256
// values: the K-quants' super-block), for seeds in every block type the loader reads.
std::shared_ptr<Model> quantizable_llama(const Model& tiny) {
    auto m = std::make_shared<Model>();
    m->tokenizer = tiny.tokenizer;
    m->stop_tokens = tiny.stop_tokens;
    ModelConfig& c = m->config;
    c = tiny.config;
    c.name = "quantizable-llama";
    c.dim = 256, c.hidden_dim = 256, c.n_layers = 1, c.n_heads = 4, c.n_kv_heads = 4;
    c.tied_classifier = true;
    std::mt19937 rng(13);
    ModelWeights& w = m->weights;
    w.token_embedding = random_tensor(rng, c.vocab_size, c.dim);
    LayerWeights L;
    L.attn_norm = random_tensor(rng, 1, c.dim), L.ffn_norm = random_tensor(rng, 1, c.dim);
    L.wq = random_tensor(rng, c.dim, c.dim), L.wk = random_tensor(rng, c.dim, c.dim), L.wv = random_tensor(rng, c.dim, c.dim);
    L.wo = random_tensor(rng, c.dim, c.dim);
    L.w_gate = random_tensor(rng, c.hidden_dim, c.dim), L.w_up = random_tensor(rng, c.hidden_dim, c.dim);
    L.w_down = random_tensor(rng, c.dim, c.hidden_dim);
    w.layers.push_back(std::move(L));
    w.final_norm = random_tensor(rng, 1, c.dim);
    return m;
}

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_all(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << bytes;
}

template <typename T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// run.c's checkpoint: the header, then each weight kind for all layers, the final norm, the
// legacy RoPE tables (seq_len x head_dim / 2, twice) and the classifier when not shared.
std::string llama2c_checkpoint(const Model& m) {
    const ModelConfig& c = m.config;
    std::string out;
    for (int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                  c.tied_classifier ? c.vocab_size : -c.vocab_size, c.max_seq_len})
        put<std::int32_t>(out, v);
    auto tensor = [&](const Tensor& t) {
        const std::vector<float> v = t.to_f32();
        out.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    };
    const ModelWeights& w = m.weights;
    tensor(w.token_embedding);
    for (auto member : {&LayerWeights::attn_norm, &LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv,
                        &LayerWeights::wo, &LayerWeights::ffn_norm, &LayerWeights::w_gate, &LayerWeights::w_down,
                        &LayerWeights::w_up})
        for (const LayerWeights& l : w.layers) tensor(l.*member);
    tensor(w.final_norm);
    out.append(std::size_t(c.max_seq_len) * std::size_t(c.head_dim()) * 4, '\0');
    if (!c.tied_classifier) tensor(w.classifier);
    return out;
}

// llama2.c's tokenizer.bin of the same vocabulary (spaces as ' ', not U+2581).
std::string llama2c_tokenizer(const Model& m) {
    std::string out;
    put<std::int32_t>(out, 16);
    for (int id = 0; id < m.tokenizer->vocab_size(); ++id) {
        std::string piece = m.tokenizer->token_label(id);
        for (std::size_t at; (at = piece.find("\xE2\x96\x81")) != std::string::npos;) piece.replace(at, 3, " ");
        put<float>(out, -float(id));
        put<std::int32_t>(out, std::int32_t(piece.size()));
        out += piece;
    }
    return out;
}

// A SentencePiece protobuf message { 1: piece, 2: score (fixed32), 3: type (varint) } as a
// length-delimited field 1 of ModelProto (pieces here are short: one-byte lengths).
std::string sp_piece(const std::string& text, float score, int type) {
    std::string body = std::string(1, '\x0A') + char(text.size()) + text + '\x15';
    char bits[4];
    std::memcpy(bits, &score, 4);
    body.append(bits, 4);
    body += '\x18';
    body += char(type);
    return std::string(1, '\x0A') + char(body.size()) + body;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return fail("usage: make_fuzz_seeds OUT_DIR TESTS_DATA_DIR");
    const fs::path out = argv[1], data = argv[2];
    for (const char* d : {"gguf", "safetensors", "hf_config", "hf_tokenizer", "vocab_merges", "llama2c_checkpoint",
                          "llama2c_tokenizer", "sentencepiece_model", "event_files", "kv_sim_workload", "breakpoint_spec",
                          "work"})
        fs::create_directories(out / d);
    auto llama = load_model((data / "hostile" / "tiny-llama.gguf").string());
    if (!llama.ok()) return fail(llama.message());
    const auto gpt2 = tiny_gpt2();

    auto check = [&](const Status& s) {
        if (!s.ok()) std::exit(fail(s.message()));
    };
    check(test::write_model_gguf(**llama, (out / "gguf" / "llama-f32.gguf").string()));
    test::GgufModelWriteOptions f16, bf16_gguf;
    f16.matrix_type = GgmlType::F16;
    bf16_gguf.matrix_type = GgmlType::BF16;
    check(test::write_model_gguf(**llama, (out / "gguf" / "llama-f16.gguf").string(), f16));
    check(test::write_model_gguf(*gpt2, (out / "gguf" / "gpt2-f32.gguf").string()));
    const auto quantizable = quantizable_llama(**llama);
    for (const auto& [type, name] : {std::pair{GgmlType::Q4_0, "q4_0"}, {GgmlType::Q5_1, "q5_1"}, {GgmlType::Q8_0, "q8_0"},
                                     {GgmlType::Q4_K, "q4_k"}, {GgmlType::Q6_K, "q6_k"}}) {
        test::GgufModelWriteOptions q;
        q.matrix_type = type;
        check(test::write_model_gguf(*quantizable, (out / "gguf" / (std::string("llama-") + name + ".gguf")).string(), q));
    }
    check(test::write_model_gguf(*gpt2, (out / "gguf" / "gpt2-bf16.gguf").string(), bf16_gguf));

    struct Folder {
        std::string name;
        bool llama;
        test::HfWriteOptions options;
    };
    test::HfWriteOptions bf16, qwen, json_tokenizer, shards;
    bf16.dtype = "BF16";
    qwen.model_type = "qwen2";
    json_tokenizer.tokenizer_json = true;
    shards.shards = 2;
    const Folder folders[] = {{"hf-llama", true, {}}, {"hf-llama-bf16", true, bf16}, {"hf-qwen2", true, qwen},
                              {"hf-gpt2", false, {}}, {"hf-gpt2-json", false, json_tokenizer},
                              {"hf-gpt2-shards", false, shards}};
    for (const Folder& f : folders) {
        const fs::path dir = out / "work" / f.name;
        check(f.llama ? test::write_hf_llama(**llama, dir.string(), f.options)
                      : test::write_hf_gpt2(*gpt2, dir.string(), f.options));
        for (const auto& entry : fs::directory_iterator(dir)) {
            const std::string file = entry.path().filename().string();
            const std::string seed = f.name + "-" + file;
            if (file.ends_with(".safetensors")) fs::copy_file(entry.path(), out / "safetensors" / seed);
            if (file == "config.json") fs::copy_file(entry.path(), out / "hf_config" / seed);
            if (file == "tokenizer.json") fs::copy_file(entry.path(), out / "hf_tokenizer" / seed);
        }
        if (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt"))
            write_all(out / "vocab_merges" / f.name,
                      read_all(dir / "vocab.json") + std::string(1, '\0') + read_all(dir / "merges.txt"));
    }
    write_all(out / "llama2c_checkpoint" / "tiny-llama.bin", llama2c_checkpoint(**llama));
    write_all(out / "llama2c_tokenizer" / "tiny-llama-tokenizer.bin", llama2c_tokenizer(**llama));
    write_all(out / "kv_sim_workload" / "plain.csv", "prompt_tokens,output_tokens\n12,30\n700,5\n1,1\n");
    write_all(out / "kv_sim_workload" / "prefixes.csv",
              "prompt_tokens,output_tokens,prefix_group,prefix_tokens\r\n64,16,0,32\r\n80,8,0,32\r\n20,4,1,16\r\n");
    // SentencePiece tokenizer.model: a BPE model that loads (<unk>, <s>, </s>, a, b, "ab") and the
    // unigram model the tests refuse. ../shared/models adds stories260K's tok512.model.
    const std::string pieces = sp_piece("<unk>", 0.0f, 2) + sp_piece("<s>", 0.0f, 3) + sp_piece("</s>", 0.0f, 3) +
                               sp_piece("a", -1.0f, 1) + sp_piece("b", -2.0f, 1) + sp_piece("ab", -0.5f, 1);
    write_all(out / "sentencepiece_model" / "bpe.model", pieces + std::string("\x12\x02\x18\x02", 4));  // model_type 2
    write_all(out / "sentencepiece_model" / "unigram.model", pieces + std::string("\x12\x02\x20\x10", 4));  // none: unigram
    // Breakpoint specs: one of every kind (engine/session/breakpoint.h).
    int n = 0;
    for (const char* spec : {"pos=40", "token=13", "text=Lily", "entropy>2.5", "entropy<0.1", "top1<0.3", "not-argmax",
                             "attn=*,2,0>0.5", "sink=3,*<0.05", "cache-bytes>=40KiB", "cache-blocks>=4"})
        write_all(out / "breakpoint_spec" / ("spec-" + std::to_string(n++)), spec);
    fs::remove_all(out / "work");
    std::printf("make_fuzz_seeds: seeds written under %s\n", out.string().c_str());
    return 0;
}
