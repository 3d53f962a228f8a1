#include "arg_parser.h"

#include <charconv>
#include <cstdlib>
#include <sstream>

namespace kvs::cli {

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& value_name, const std::string& help,
                             const std::string& default_value, const std::string& short_name) {
    specs_.push_back({name, value_name, help, default_value, short_name, false});
    return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, "", help, "", "", true});
    return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& token) const {
    for (const auto& s : specs_) {
        if (token == "--" + s.name || (!s.short_name.empty() && token == "-" + s.short_name)) return &s;
    }
    return nullptr;
}

Status ArgParser::parse(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            help_ = true;
            continue;
        }
        std::string token = a, inline_value;
        bool has_inline = false;
        if (a.rfind("--", 0) == 0) {
            if (auto eq = a.find('='); eq != std::string::npos) {
                token = a.substr(0, eq);
                inline_value = a.substr(eq + 1);
                has_inline = true;
            }
        }
        const Spec* spec = find(token);
        if (!spec) {
            if (a.size() > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9'))
                return err(command_, ": unknown option '", a, "' (see ", command_, " --help)");
            positional_.push_back(a);
            continue;
        }
        if (spec->is_flag) {
            if (has_inline) return err(command_, ": option --", spec->name, " takes no value");
            values_[spec->name] = std::string(1, '1');
            continue;
        }
        if (has_inline) {
            values_[spec->name] = inline_value;
        } else {
            if (i + 1 >= args.size()) return err(command_, ": option --", spec->name, " needs a value (", spec->value_name, ")");
            values_[spec->name] = args[++i];
        }
    }
    return {};
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) > 0; }
bool ArgParser::is_set(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::get(const std::string& name) const {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    for (const auto& s : specs_)
        if (s.name == name) return s.default_value;
    return {};
}

Result<int> ArgParser::get_int(const std::string& name) const {
    const std::string v = get(name);
    int out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size())
        return err(command_, ": --", name, " expects an integer, got '", v, "'");
    return out;
}

Result<double> ArgParser::get_double(const std::string& name) const {
    const std::string v = get(name);
    char* end = nullptr;
    double out = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size()) return err(command_, ": --", name, " expects a number, got '", v, "'");
    return out;
}

std::string ArgParser::help() const {
    std::ostringstream o;
    o << "usage: kvscope-cli " << command_ << " [options]\n\n" << summary_ << "\n\noptions:\n";
    for (const auto& s : specs_) {
        std::string left = "  ";
        if (!s.short_name.empty()) left += "-" + s.short_name + ", ";
        left += "--" + s.name;
        if (!s.is_flag) left += " " + s.value_name;
        o << left;
        if (left.size() < 30) o << std::string(30 - left.size(), ' ');
        else o << "\n" << std::string(30, ' ');
        o << s.help;
        if (!s.default_value.empty()) o << " (default: " << s.default_value << ")";
        o << "\n";
    }
    o << "  -h, --help                  show this help\n";
    return o.str();
}

}  // namespace kvs::cli
