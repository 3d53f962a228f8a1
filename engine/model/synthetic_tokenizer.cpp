#include "model/synthetic_tokenizer.h"

#include <cstdio>

namespace kvs {

SyntheticByteTokenizer::SyntheticByteTokenizer(int vocab_size) : vocab_size_(vocab_size) {
    bos_id = 1;
    eos_id = 2;
    add_bos = true;
}

std::vector<int> SyntheticByteTokenizer::encode(std::string_view text) const {
    std::vector<int> ids;
    ids.reserve(text.size());
    for (unsigned char c : text) ids.push_back(kFirstByteId + c);
    return ids;
}

std::string SyntheticByteTokenizer::decode_piece(int /*prev*/, int id) const {
    if (id >= kFirstByteId && id < kMinVocab) return std::string(1, char(id - kFirstByteId));
    return {};
}

std::string SyntheticByteTokenizer::token_label(int id) const {
    switch (id) {
        case 0: return "<unk>";
        case 1: return "<s>";
        case 2: return "</s>";
        default: break;
    }
    if (id >= kFirstByteId && id < kMinVocab) {
        const int b = id - kFirstByteId;
        if (b > 32 && b < 127) return std::string(1, char(b));
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        return buf;
    }
    std::string label(1, '<');
    label += std::to_string(id);
    label += '>';
    return label;
}

}  // namespace kvs
