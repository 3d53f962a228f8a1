#include "gui_companion.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "command_registry.h"
#include "gui_commands.h"
#include "model_options.h"

namespace kvs::cli {

namespace {

// The companion sits beside the running executable (the build folder, or an installed bin/).
std::filesystem::path companion_path() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path folder = ec ? std::filesystem::path(".") : self.parent_path();
    return folder / kGuiCompanionName;
}

}  // namespace

int run_in_gui_companion(const std::string& command, const std::vector<std::string>& args) {
    const std::string path = companion_path().string();
    std::vector<std::string> words = {path, command};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    // Nothing written so far may be lost or repeated by the companion.
    std::fflush(stdout);
    std::fflush(stderr);
    execv(path.c_str(), argv.data());
    const int error = errno;
    return fail(command, "this command draws with the application's views, which run in " + path +
                             " (built with the GUI, KVSCOPE_BUILD_GUI), and that could not be started: " +
                             std::strerror(error));
}

namespace {

int run_export(const std::vector<std::string>& args) { return run_in_gui_companion(kExportCommand.name, args); }
int run_bench_gui(const std::vector<std::string>& args) { return run_in_gui_companion(kBenchGuiCommand.name, args); }

const CommandRegistration export_reg{kExportCommand.name, kExportCommand.summary, run_export};
const CommandRegistration bench_gui_reg{kBenchGuiCommand.name, kBenchGuiCommand.summary, run_bench_gui};

}  // namespace
}  // namespace kvs::cli
