#pragma once
// A small declarative option parser: each option is declared once with its help text, so
// --help documents every option a command accepts.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace kvs::cli {

class ArgParser {
public:
    ArgParser(std::string command, std::string summary);

    // --name VALUE (with optional short alias "-n").
    ArgParser& option(const std::string& name, const std::string& value_name, const std::string& help,
                      const std::string& default_value = "", const std::string& short_name = "");
    // --name (boolean switch).
    ArgParser& flag(const std::string& name, const std::string& help);

    // Parses args; "--help" sets help_requested().
    Status parse(const std::vector<std::string>& args);
    bool help_requested() const { return help_; }
    std::string help() const;

    bool has(const std::string& name) const;          // given on the command line
    bool is_set(const std::string& flag_name) const;  // a flag that was given
    std::string get(const std::string& name) const;   // value, or the default
    Result<int> get_int(const std::string& name) const;
    Result<double> get_double(const std::string& name) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    struct Spec {
        std::string name, value_name, help, default_value, short_name;
        bool is_flag = false;
    };
    const Spec* find(const std::string& token) const;

    std::string command_, summary_;
    std::vector<Spec> specs_;
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
    bool help_ = false;
};

}  // namespace kvs::cli
