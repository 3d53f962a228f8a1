#pragma once
// What a prompt loses to a tokenizer: a vocabulary without a token for a character (makemore's
// 27 letters have none for 'O' or a space) leaves that character out of the encoded prompt.
// Users should hear about it rather than see "Once upon a time" quietly become "nceuponatime".
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer.h"

namespace kvs {

struct LeftOutCharacter {
    std::string character;  // one UTF-8 character
    int count = 0;          // times it was left out
};

// The characters of `text` missing from decode(encode(text)), each once, in order of first
// appearance (compared character by character in order, so a tokenizer that only drops
// characters is described exactly).
std::vector<LeftOutCharacter> characters_left_out(const Tokenizer& tokenizer, std::string_view text);

// "the tokenizer has no token for 'O' and ' ' (3 times): they are left out of the prompt", or
// empty when nothing is left out.
std::string describe_left_out(const std::vector<LeftOutCharacter>& left_out);

}  // namespace kvs
