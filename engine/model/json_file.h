#pragma once
// JSON files of model folders (config.json, tokenizer.json, the safetensors index) read into
// nlohmann::json, with errors that name the file and the line and column of a syntax error.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace kvs {

// Arrays and objects nested deeper than this are refused before parsing: nlohmann parses any
// depth without recursion, but copying a value and dump() recurse once per level, so a file of
// a million brackets would overflow the stack later. Real model files nest fewer than 10 levels.
inline constexpr int kMaxJsonDepth = 64;

// Ok, or an error naming the byte (and line and column) where `text` first opens a level
// deeper than kMaxJsonDepth. Brackets inside strings do not count.
Status check_json_depth(std::string_view text, const std::string& origin);

// Parses `text` (after check_json_depth); `origin` names it in messages ("model.safetensors header").
Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& origin);
// Reads and parses a whole file.
Result<nlohmann::json> read_json_file(const std::string& path);

// A value for an error message: compact JSON, cut to about 60 bytes ("[1, 2, 3, ...").
std::string json_brief(const nlohmann::json& value);

// Typed access to object members with messages naming the origin and the key.
Result<std::int64_t> json_int(const nlohmann::json& obj, const std::string& key, const std::string& origin);
Result<std::int64_t> json_int_or(const nlohmann::json& obj, const std::string& key, std::int64_t fallback,
                                 const std::string& origin);
Result<double> json_number_or(const nlohmann::json& obj, const std::string& key, double fallback,
                              const std::string& origin);
Result<bool> json_bool_or(const nlohmann::json& obj, const std::string& key, bool fallback, const std::string& origin);
Result<std::string> json_string_or(const nlohmann::json& obj, const std::string& key, const std::string& fallback,
                                   const std::string& origin);

}  // namespace kvs
