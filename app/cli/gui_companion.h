#pragma once
// Hands a command over to the GUI companion executable (gui_commands.h): replaces this process
// with `kvscope-cli-gui COMMAND ARGS...`, found in the folder of the running `kvscope-cli`, so
// the command's output, exit status and memory are the companion's alone. Returns only when the
// companion cannot be started, with the exit status of that error (after saying why on stderr).
#include <string>
#include <vector>

namespace kvs::cli {

int run_in_gui_companion(const std::string& command, const std::vector<std::string>& args);

}  // namespace kvs::cli
