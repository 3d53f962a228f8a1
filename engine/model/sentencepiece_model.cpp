#include "model/sentencepiece_model.h"

#include <cstring>
#include <span>

#include "core/read_only_mapping.h"

namespace kvs {

namespace {

// Protobuf wire format: each field is a varint key (field number << 3 | wire type) and a value:
// 0 varint, 1 fixed 64 bits, 2 length-delimited bytes, 5 fixed 32 bits.
class Wire {
public:
    Wire(std::span<const std::uint8_t> b, std::string origin) : b_(b), origin_(std::move(origin)) {}
    bool done() const { return pos_ >= b_.size(); }
    std::size_t pos() const { return pos_; }

    Result<std::uint64_t> varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= b_.size()) return err(origin_, ": truncated varint at byte ", pos_);
            const std::uint8_t byte = b_[pos_++];
            v |= std::uint64_t(byte & 0x7F) << shift;
            if ((byte & 0x80) == 0) return v;
        }
        return err(origin_, ": varint longer than 10 bytes at byte ", pos_);
    }
    Result<std::span<const std::uint8_t>> bytes() {
        KVS_ASSIGN(const std::uint64_t n, varint());
        if (n > b_.size() - pos_) return err(origin_, ": field of ", n, " bytes at byte ", pos_, " runs past the end");
        const auto out = b_.subspan(pos_, std::size_t(n));
        pos_ += std::size_t(n);
        return out;
    }
    Result<std::uint32_t> fixed32() {
        if (b_.size() - pos_ < 4) return err(origin_, ": truncated 32-bit field at byte ", pos_);
        std::uint32_t v;
        std::memcpy(&v, b_.data() + pos_, 4);
        pos_ += 4;
        return v;
    }
    Status skip(std::uint32_t wire_type) {
        switch (wire_type) {
            case 0: return varint().ok() ? Status{} : Status(err(origin_, ": bad varint at byte ", pos_));
            case 1:
                if (b_.size() - pos_ < 8) return err(origin_, ": truncated 64-bit field at byte ", pos_);
                pos_ += 8;
                return {};
            case 2: return bytes().ok() ? Status{} : Status(err(origin_, ": bad length at byte ", pos_));
            case 5: return fixed32().ok() ? Status{} : Status(err(origin_, ": truncated field at byte ", pos_));
            default: return err(origin_, ": wire type ", wire_type, " at byte ", pos_, " is not protobuf");
        }
    }

private:
    std::span<const std::uint8_t> b_;
    std::string origin_;
    std::size_t pos_ = 0;
};

// SentencePiece { 1: piece, 2: score (float), 3: type (enum, default NORMAL = 1) }
Status read_piece(std::span<const std::uint8_t> bytes, const std::string& origin, SentencePieceVocab& v) {
    Wire w(bytes, origin);
    std::string piece;
    float score = 0.0f;
    std::int32_t type = 1;
    while (!w.done()) {
        KVS_ASSIGN(const std::uint64_t key, w.varint());
        const auto field = std::uint32_t(key >> 3), wire = std::uint32_t(key & 7);
        if (field == 1 && wire == 2) {
            KVS_ASSIGN(const auto s, w.bytes());
            piece.assign(reinterpret_cast<const char*>(s.data()), s.size());
        } else if (field == 2 && wire == 5) {
            KVS_ASSIGN(const std::uint32_t bits, w.fixed32());
            std::memcpy(&score, &bits, 4);
        } else if (field == 3 && wire == 0) {
            KVS_ASSIGN(const std::uint64_t t, w.varint());
            type = std::int32_t(t);
        } else {
            KVS_TRY(w.skip(wire));
        }
    }
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.types.push_back(type);
    return {};
}

// TrainerSpec { 3: model_type (1 unigram, 2 BPE, 3 word, 4 char), 40: unk_id, 41: bos_id, 42: eos_id }
Status read_trainer(std::span<const std::uint8_t> bytes, const std::string& origin, SentencePieceVocab& v,
                    std::uint64_t& model_type) {
    Wire w(bytes, origin);
    while (!w.done()) {
        KVS_ASSIGN(const std::uint64_t key, w.varint());
        const auto field = std::uint32_t(key >> 3), wire = std::uint32_t(key & 7);
        if (wire == 0 && (field == 3 || field == 40 || field == 41 || field == 42)) {
            KVS_ASSIGN(const std::uint64_t value, w.varint());
            const int id = int(std::int32_t(std::uint32_t(value)));  // int32 fields: -1 is sign-extended
            if (field == 3) model_type = value;
            else if (field == 40) v.unk_id = id;
            else if (field == 41) v.bos_id = id;
            else v.eos_id = id;
        } else {
            KVS_TRY(w.skip(wire));
        }
    }
    return {};
}

// NormalizerSpec { 3: add_dummy_prefix (bool, default true) }
Status read_normalizer(std::span<const std::uint8_t> bytes, const std::string& origin, SentencePieceVocab& v) {
    Wire w(bytes, origin);
    while (!w.done()) {
        KVS_ASSIGN(const std::uint64_t key, w.varint());
        const auto field = std::uint32_t(key >> 3), wire = std::uint32_t(key & 7);
        if (field == 3 && wire == 0) {
            KVS_ASSIGN(const std::uint64_t value, w.varint());
            v.add_dummy_prefix = value != 0;
        } else {
            KVS_TRY(w.skip(wire));
        }
    }
    return {};
}

}  // namespace

Result<SentencePieceVocab> read_sentencepiece_model(const std::string& path) {
    KVS_ASSIGN(ReadOnlyMapping file, ReadOnlyMapping::open(path));
    const std::string origin = "'" + path + "'";
    SentencePieceVocab v;
    v.spaces_are_marked = true;
    v.add_dummy_prefix = true;
    std::uint64_t model_type = 1;  // the proto's default: unigram
    Wire w(file.bytes(), origin);
    while (!w.done()) {
        KVS_ASSIGN(const std::uint64_t key, w.varint());
        const auto field = std::uint32_t(key >> 3), wire = std::uint32_t(key & 7);
        if (wire == 2 && field >= 1 && field <= 3) {
            KVS_ASSIGN(const auto sub, w.bytes());
            if (field == 1) KVS_TRY(read_piece(sub, origin + " piece " + std::to_string(v.pieces.size()), v));
            else if (field == 2) KVS_TRY(read_trainer(sub, origin + " trainer_spec", v, model_type));
            else KVS_TRY(read_normalizer(sub, origin + " normalizer_spec", v));
        } else {
            KVS_TRY(w.skip(wire));
        }
    }
    if (v.pieces.empty()) return err(origin, " is not a SentencePiece model: it holds no pieces");
    if (model_type != 2)
        return err(origin, ": SentencePiece model type ", model_type == 1 ? std::string("unigram") : std::to_string(model_type),
                   " is not supported; only BPE models (type 2: Llama, Mistral) are read");
    const int n = int(v.pieces.size());
    for (int* id : {&v.unk_id, &v.bos_id, &v.eos_id})
        if (*id >= n) return err(origin, ": special token id ", *id, " is outside the ", n, " pieces");
    v.add_bos = v.bos_id >= 0;
    return v;
}

Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::string& path) {
    KVS_ASSIGN(SentencePieceVocab v, read_sentencepiece_model(path));
    auto tok = make_sentencepiece_bpe(std::move(v));
    if (!tok.ok()) return err("'", path, "': ", tok.message());
    return tok;
}

}  // namespace kvs
