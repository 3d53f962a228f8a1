#pragma once
// The desktop app's command line:
//   kvscope [--model PATH] [--tokenizer PATH] [--synthetic PRESET] [--layers N] [--prompt TEXT]
//           [--prompts FILE] [--block-size N] [--prefix-cache] [--backend cpu|vulkan] [--max-new N]
//           [--screenshot DIR [--screenshot-debugger | --screenshot-compare]]
#include <QString>
#include <QStringList>

namespace kvs::ui {

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
    bool screenshot_debugger = false;  // the screenshot run is a debugging session
    bool screenshot_compare = false;   // the screenshot run ends with a comparison of two runs
};

// Parses arguments (argv[0] first). On a usage error returns false with a message in `error`
// and leaves `options` as it was;
// --help and --version print and exit inside QCommandLineParser as usual.
bool parse_command_line(const QStringList& arguments, CommandLineOptions& options, QString& error);

}  // namespace kvs::ui
