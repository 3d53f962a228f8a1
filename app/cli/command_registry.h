#pragma once
// Subcommands register themselves here, each from its own file:
//   static const kvs::cli::CommandRegistration reg{"info", "Show a model's config", run_info};
#include <functional>
#include <string>
#include <vector>

namespace kvs::cli {

using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Command {
    std::string name;
    std::string summary;
    CommandFn run;
};

std::vector<Command>& commands();

struct CommandRegistration {
    CommandRegistration(std::string name, std::string summary, CommandFn fn) {
        commands().push_back({std::move(name), std::move(summary), std::move(fn)});
    }
};

}  // namespace kvs::cli
