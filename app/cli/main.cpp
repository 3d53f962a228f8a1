// kvscope-cli: the headless face of kvscope.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "command_registry.h"
#include "model_options.h"

namespace kvs::cli {
std::vector<Command>& commands() {
    static std::vector<Command> list;
    return list;
}
}  // namespace kvs::cli

static void print_usage() {
    auto list = kvs::cli::commands();
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::fprintf(stderr, "usage: kvscope-cli COMMAND [options]\n\ncommands:\n");
    for (const auto& c : list) std::fprintf(stderr, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
    std::fprintf(stderr, "\n'kvscope-cli COMMAND --help' lists the options of a command.\n");
}

// Commands report errors as values; anything thrown past them (std::bad_alloc from an
// allocation no check foresaw) ends the same way, with the message and exit status 1.
static int run_guarded(const kvs::cli::Command& c, const std::vector<std::string>& args) {
    try {
        return c.run(args);
    } catch (const std::bad_alloc&) {
        return kvs::cli::fail(c.name, "out of memory");
    } catch (const std::exception& e) {
        return kvs::cli::fail(c.name, std::string("unexpected error: ") + e.what());
    } catch (...) {
        return kvs::cli::fail(c.name, "unexpected error");
    }
}

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        print_usage();
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& c : kvs::cli::commands())
        if (c.name == name) return run_guarded(c, args);
    std::fprintf(stderr, "kvscope-cli: unknown command '%s'\n\n", name.c_str());
    print_usage();
    return 2;
}
