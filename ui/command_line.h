#pragma once
// The desktop app's command line:
//   kvscope [--model PATH] [--tokenizer PATH] [--synthetic PRESET] [--layers N] [--prompt TEXT]
//           [--prompts FILE] [--block-size N] [--prefix-cache] [--backend cpu|vulkan] [--max-new N]
//           [--screenshot DIR [--screenshot-debugger | --screenshot-lecture | --screenshot-compare]]
#include <QString>
#include <QStringList>

namespace kvs::ui {

// What a --screenshot run does before its pictures.
enum class ScreenshotScenario {
    Views,     // a short run; every tab and dock
    Debugger,  // a debugging session: forced branches, a breakpoint hit
    Lecture,   // a run over 500 positions; the lecture pictures (lecture_screenshots.h)
    Compare,   // then a greedy run compared with a sampled one; the Compare tab in front
};

struct CommandLineOptions {
    QString model;
    QString tokenizer;
    QString synthetic;
    int layers = 0;  // synthetic layer override, 0 = the preset's
    QString prompt = QStringLiteral("Once upon a time");
    QStringList more_prompts;  // --prompts FILE: its first line is the prompt, the rest these
    int block_size = 16;
    bool prefix_cache = false;
    QString backend = QStringLiteral("cpu");
    int max_new = 0;  // 0 = the panel's default
    QString screenshot_dir;
    ScreenshotScenario screenshot_scenario = ScreenshotScenario::Views;
};

// Parses arguments (argv[0] first). On a usage error returns false with a message in `error`
// and leaves `options` as it was;
// --help and --version print and exit inside QCommandLineParser as usual.
bool parse_command_line(const QStringList& arguments, CommandLineOptions& options, QString& error);

}  // namespace kvs::ui
