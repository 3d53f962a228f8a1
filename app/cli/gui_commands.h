#pragma once
// The subcommands that draw with the desktop application's own views (Qt). They live in a
// companion executable, `kvscope-cli-gui`, built beside `kvscope-cli` with the GUI, so that
// `kvscope-cli` itself links no Qt: Qt's libraries cost about 12 MB of resident memory in every
// process that loads them, more than a small model's whole KV cache (docs/PERFORMANCE.md).
// `kvscope-cli` registers these names too and hands the command over to the companion
// (gui_companion.h); the companion registers the commands themselves. Both take the names and
// summaries from here.
namespace kvs::cli {

struct GuiCommandInfo {
    const char* name;
    const char* summary;
};

inline constexpr GuiCommandInfo kExportCommand{"export",
                                               "generate and render the GUI's charts to PNG/SVG/PDF plus events"};
inline constexpr GuiCommandInfo kBenchGuiCommand{
    "bench-gui", "GUI-thread stalls and per-view refresh costs while a long run streams in"};
// `soak` runs in `kvscope-cli` unless it is asked for load cycles in the application window
// (--loads), which the companion runs.
inline constexpr const char* kGuiCompanionName = "kvscope-cli-gui";

}  // namespace kvs::cli
