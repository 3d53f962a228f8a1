#pragma once
// A debugging session saved as JSON (docs/DEBUGGER.md has the format): the model it ran, the
// settings, the prompt, the breakpoints and every branch as the steps it ran and the tokens it
// was forced to take. Since a seed fixes every random draw of every step (a forced step draws
// too), that is enough to run each branch again; the tokens saved with each branch let opening
// it check that the same tokens come out.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/sampler.h"
#include "session/debugger.h"

namespace kvs {

inline constexpr int kDebugSessionVersion = 1;

struct DebugSessionFile {
    // The model, as the tool that saved it found it (paths as given, not resolved).
    std::string model_path;
    std::string tokenizer_path;
    std::string synthetic;          // a preset name instead of a path
    int synthetic_layers = 0;
    std::string backend = "cpu";
    int block_size = 16;
    int context = 0;                // KV capacity asked for (0: the default)
    bool use_cache = true;
    SamplingOptions sampling;
    int max_new_tokens = 256;
    std::vector<int> prompt_ids;    // BOS included when the model adds it
    std::string prompt_text;        // for people reading the file; prompt_ids is what runs

    struct SavedBreakpoint {
        std::string spec;
        bool enabled = true;
    };
    std::vector<SavedBreakpoint> breakpoints;

    struct SavedBranch {
        int id = 0;
        int parent = -1;
        int fork_step = 0;
        int steps = 0;
        std::map<int, int> forced;  // step -> token
        std::vector<int> tokens;    // prompt and generated, to check a replay against
    };
    std::vector<SavedBranch> branches;  // parents before children
    int active = 0;
};

// The debugger's breakpoints and branches (the rest is left as `base` has it).
DebugSessionFile capture_debug_session(const Debugger& d, DebugSessionFile base);
std::string debug_session_to_json(const DebugSessionFile& f);
// Errors name `origin`, the key and what was expected.
Result<DebugSessionFile> parse_debug_session(std::string_view text, const std::string& origin);
Result<DebugSessionFile> read_debug_session(const std::string& path);
Status write_debug_session(const std::string& path, const DebugSessionFile& f);

// Starts `d` on the file's prompt and runs every branch again: the same steps, the same forced
// tokens, branching where the file says; then adds the breakpoints and makes the saved active
// branch active. Fails, naming the branch and position, when a token differs from the saved one
// (another model, backend or build that rounds differently).
Status replay_debug_session(Debugger& d, const DebugSessionFile& f);

}  // namespace kvs
