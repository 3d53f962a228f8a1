#pragma once
// The debugger's commands as `kvscope-cli debug` reads them from a script, --exec or standard
// input, one per line (docs/DEBUGGER.md lists them). Output goes to stdout in lines a script can
// grep; errors come back as values naming the command.
#include <cstdio>
#include <string>

#include "core/result.h"
#include "session/debug_session_file.h"
#include "session/debugger.h"

namespace kvs::cli {

class DebugCommands {
public:
    // `saved` carries the model reference and settings written by `save`.
    DebugCommands(Debugger& debugger, int max_new_tokens, DebugSessionFile saved, std::FILE* out = stdout);

    // Runs one line; blank lines and lines starting with '#' do nothing.
    Status execute(const std::string& line);

private:
    Status run(const std::vector<std::string>& args);
    Status step(const std::vector<std::string>& args);
    Status force(const std::string& rest);
    void print_stop(const DebugStop& stop);
    void print_step(const StepRecord& r, bool detail);
    void print_branches();
    void print_breakpoints();
    void print_lens(int step, const LogitLens& lens);
    std::string position_text(const StepRecord& r) const;

    Debugger& d_;
    int max_new_;
    DebugSessionFile saved_;
    std::FILE* out_;
};

}  // namespace kvs::cli
