#include "model/prompt_check.h"

#include <algorithm>

namespace kvs {
namespace {

// The UTF-8 characters of a string (a malformed byte is a character of its own).
std::vector<std::string_view> characters(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
        n = std::min(n, s.size() - i);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

std::string shown(const std::string& c) {
    if (c == " ") return "' ' (space)";
    if (c == "\n") return "'\\n' (newline)";
    if (c == "\t") return "'\\t' (tab)";
    return "'" + c + "'";
}

}  // namespace

std::vector<LeftOutCharacter> characters_left_out(const Tokenizer& tokenizer, std::string_view text) {
    const std::vector<int> ids = tokenizer.encode(text);
    const std::string kept = tokenizer.decode(ids);
    const auto want = characters(text), got = characters(kept);
    std::vector<LeftOutCharacter> out;
    std::size_t j = 0;
    for (std::string_view c : want) {
        if (j < got.size() && got[j] == c) {
            ++j;
            continue;
        }
        auto it = std::find_if(out.begin(), out.end(), [&](const LeftOutCharacter& l) { return l.character == c; });
        if (it == out.end()) out.push_back({std::string(c), 1});
        else ++it->count;
    }
    return out;
}

std::string describe_left_out(const std::vector<LeftOutCharacter>& left_out) {
    if (left_out.empty()) return {};
    std::string list;
    int total = 0;
    for (std::size_t i = 0; i < left_out.size(); ++i) {
        if (i > 0) list += i + 1 == left_out.size() ? " and " : ", ";
        list += shown(left_out[i].character);
        if (left_out[i].count > 1) list += " (" + std::to_string(left_out[i].count) + " times)";
        total += left_out[i].count;
    }
    return "the tokenizer has no token for " + list + ": " + (total > 1 ? "they are" : "it is") +
           " left out of the prompt";
}

}  // namespace kvs
