#pragma once
// Small UTF-8 helpers shared by the tokenizers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvs::utf8 {

// Length of the sequence a lead byte starts (1 for continuation or invalid bytes, so that
// malformed text still advances one byte at a time).
inline std::size_t sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

// Byte length of the character starting at text[pos], clipped to the text.
inline std::size_t char_length_at(std::string_view text, std::size_t pos) {
    const std::size_t n = sequence_length(static_cast<unsigned char>(text[pos]));
    return n <= text.size() - pos ? n : text.size() - pos;
}

inline std::string encode(std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += char(cp);
    } else if (cp < 0x800) {
        s += char(0xC0 | (cp >> 6));
        s += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += char(0xE0 | (cp >> 12));
        s += char(0x80 | ((cp >> 6) & 0x3F));
        s += char(0x80 | (cp & 0x3F));
    } else {
        s += char(0xF0 | (cp >> 18));
        s += char(0x80 | ((cp >> 12) & 0x3F));
        s += char(0x80 | ((cp >> 6) & 0x3F));
        s += char(0x80 | (cp & 0x3F));
    }
    return s;
}

// Decodes the character at text[pos] (advancing pos); malformed bytes decode as themselves.
inline std::uint32_t decode_at(std::string_view text, std::size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const std::size_t n = char_length_at(text, pos);
    if (n == 1) {
        ++pos;
        return lead;
    }
    std::uint32_t cp = lead & (0xFF >> (n + 1));
    for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    pos += n;
    return cp;
}

// Replaces every occurrence of `from` by `to`.
inline std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t hit = text.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(text.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
    }
    out.append(text.substr(pos));
    return out;
}

// A printable form for labels: control bytes become \n, \t, \r or \xNN escapes.
inline std::string printable(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (b < 0x20 || b == 0x7F) { out += "\\x"; out += hex[b >> 4]; out += hex[b & 15]; }
        else out += c;
    }
    return out;
}

}  // namespace kvs::utf8
