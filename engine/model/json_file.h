#pragma once
// JSON files of model folders (config.json, tokenizer.json, the safetensors index) read into
// nlohmann::json, with errors that name the file and the line and column of a syntax error.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace kvs {

// Parses `text`; `origin` names it in messages ("model.safetensors header").
Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& origin);
// Reads and parses a whole file.
Result<nlohmann::json> read_json_file(const std::string& path);

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
