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

Result<json> parse_json_text(std::string_view text, const std::string& origin) {
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
    if (!it->is_number_integer()) return err(origin, ": key '", key, "' is ", it->dump(), ", expected an integer");
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
    if (!it->is_number()) return err(origin, ": key '", key, "' is ", it->dump(), ", expected a number");
    return it->get<double>();
}

Result<bool> json_bool_or(const json& obj, const std::string& key, bool fallback, const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return err(origin, ": key '", key, "' is ", it->dump(), ", expected true or false");
    return it->get<bool>();
}

Result<std::string> json_string_or(const json& obj, const std::string& key, const std::string& fallback,
                                   const std::string& origin) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_string()) return err(origin, ": key '", key, "' is ", it->dump(), ", expected a string");
    return it->get<std::string>();
}

}  // namespace kvs
