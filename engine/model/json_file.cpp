#include "model/json_file.h"

#include <fstream>
#include <sstream>

namespace kvs {

using nlohmann::json;

namespace {

// 1-based line and column of a byte offset, for messages an editor can jump to.
std::string line_and_column(std::string_view text, std::size_t byte) {
    byte = std::min(byte, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < byte; ++i) {
        if (text[i] == '\n') ++line, column = 1;
        else ++column;
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

Status check_json_depth(std::string_view text, const std::string& origin) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;  // skips the escaped character, which may be a quote
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                return err(origin, ": JSON nested more than ", kMaxJsonDepth, " levels deep at byte ", i, " (",
                           line_and_column(text, i), ")");
        } else if (c == ']' || c == '}') {
            --depth;  // unbalanced brackets are the parser's to report
        }
    }
    return {};
}

std::string json_brief(const json& value) {
    constexpr std::size_t kMax = 60;
    std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > kMax) s = s.substr(0, kMax) + "...";
    return s;
}

Result<json> parse_json_text(std::string_view text, const std::string& origin) {
    KVS_TRY(check_json_depth(text, origin));
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // nlohmann reports the position one past the offending byte.
        const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
        return err(origin, ": malformed JSON at byte ", at, " (", line_and_column(text, at), ")");
    } catch (const json::exception& e) {
        return err(origin, ": malformed JSON: ", e.what());
    }
}

Result<json> read_json_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return err("cannot open '", path, "'");
    std::ostringstream text;
    text << f.rdbuf();
    return parse_json_text(text.str(), "'" + path + "'");
}

Result<std::int64_t> json_int(const json& obj, const std::string& key, const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end()) return err(origin, ": missing key '", key, "'");
    if (!it->is_number_integer()) return err(origin, ": key '", key, "' is ", json_brief(*it), ", expected an integer");
    return it->get<std::int64_t>();
}

Result<std::int64_t> json_int_or(const json& obj, const std::string& key, std::int64_t fallback,
                                 const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    return json_int(obj, key, origin);
}

Result<double> json_number_or(const json& obj, const std::string& key, double fallback, const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_number()) return err(origin, ": key '", key, "' is ", json_brief(*it), ", expected a number");
    return it->get<double>();
}

Result<bool> json_bool_or(const json& obj, const std::string& key, bool fallback, const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return err(origin, ": key '", key, "' is ", json_brief(*it), ", expected true or false");
    return it->get<bool>();
}

Result<std::string> json_string_or(const json& obj, const std::string& key, const std::string& fallback,
                                   const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_string()) return err(origin, ": key '", key, "' is ", json_brief(*it), ", expected a string");
    return it->get<std::string>();
}

}  // namespace kvs
