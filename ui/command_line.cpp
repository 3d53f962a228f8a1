#include "command_line.h"

#include <QCommandLineParser>
#include <QFile>

namespace kvs::ui {

bool parse_command_line(const QStringList& arguments, CommandLineOptions& result, QString& error) {
    CommandLineOptions options;  // filled here, handed out only when everything parsed
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "kvscope: watch a transformer's KV cache grow, its attention and its compute, step by step.\n"
        "Without arguments it opens stories260K from ../shared/models when it finds it.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption model({"m", "model"}, "Model file (llama2.c .bin, GGUF) or Hugging Face folder.", "PATH");
    const QCommandLineOption tokenizer({"t", "tokenizer"}, "tokenizer.bin for llama2.c checkpoints.", "PATH");
    const QCommandLineOption synthetic("synthetic", "Build a synthetic model of a preset's shape.", "PRESET");
    const QCommandLineOption layers("layers", "Layers of the synthetic model (0 = the preset's).", "N", "0");
    const QCommandLineOption prompt({"p", "prompt"}, "Prompt text.", "TEXT", options.prompt);
    const QCommandLineOption backend({"b", "backend"}, "cpu or vulkan.", "NAME", options.backend);
    const QCommandLineOption max_new({"n", "max-new"}, "Tokens a run generates.", "N", "0");
    const QCommandLineOption prompts("prompts", "Prompts, one per line (each a sequence of its own).", "FILE");
    const QCommandLineOption block_size("block-size", "Positions per KV cache block (0 = contiguous).", "N", "16");
    const QCommandLineOption prefix_cache("prefix-cache", "Share the KV blocks of equal prompt prefixes.");
    const QCommandLineOption screenshot("screenshot",
                                        "Run a short generation, save every tab and dock as PNG into DIR, quit.", "DIR");
    const QCommandLineOption screenshot_debugger(
        "screenshot-debugger", "With --screenshot: go back, force tokens into two branches and stop at a breakpoint first.");
    const QCommandLineOption screenshot_lecture(
        "screenshot-lecture",
        "With --screenshot: generate until 500 positions, then save the lecture pictures (lecture_*.png) only.");
    const QCommandLineOption screenshot_compare(
        "screenshot-compare", "With --screenshot: compare a greedy run with a sampled one in the Compare tab first.");
    parser.addOptions({model, tokenizer, synthetic, layers, prompt, prompts, block_size, prefix_cache, backend, max_new,
                       screenshot, screenshot_debugger, screenshot_lecture, screenshot_compare});
    if (!parser.parse(arguments)) {
        error = parser.errorText();
        return false;
    }
    if (parser.isSet("help")) parser.showHelp(0);
    if (parser.isSet("version")) parser.showVersion();
    if (!parser.positionalArguments().isEmpty()) {
        error = QStringLiteral("unexpected argument '%1' (use --model PATH)").arg(parser.positionalArguments().first());
        return false;
    }
    options.model = parser.value(model);
    options.tokenizer = parser.value(tokenizer);
    options.synthetic = parser.value(synthetic);
    options.prompt = parser.value(prompt);
    options.backend = parser.value(backend).toLower();
    options.screenshot_dir = parser.value(screenshot);
    if (int(parser.isSet(screenshot_debugger)) + int(parser.isSet(screenshot_lecture)) +
            int(parser.isSet(screenshot_compare)) > 1) {
        error = QStringLiteral("--screenshot-debugger, --screenshot-lecture and --screenshot-compare exclude each other");
        return false;
    }
    if (parser.isSet(screenshot_debugger)) options.screenshot_scenario = ScreenshotScenario::Debugger;
    if (parser.isSet(screenshot_lecture)) options.screenshot_scenario = ScreenshotScenario::Lecture;
    if (parser.isSet(screenshot_compare)) options.screenshot_scenario = ScreenshotScenario::Compare;
    options.prefix_cache = parser.isSet(prefix_cache);
    bool ok = true;
    options.block_size = parser.value(block_size).toInt(&ok);
    if (!ok || options.block_size < 0) {
        error = QStringLiteral("--block-size expects a number >= 0, got '%1'").arg(parser.value(block_size));
        return false;
    }
    if (parser.isSet(prompts)) {
        QFile f(parser.value(prompts));
        if (!f.open(QIODevice::ReadOnly)) {
            error = QStringLiteral("--prompts: cannot open '%1'").arg(parser.value(prompts));
            return false;
        }
        QStringList lines;
        for (const QString& line : QString::fromUtf8(f.readAll()).split('\n'))
            if (!line.trimmed().isEmpty()) lines << QString(line).replace("\\n", "\n").remove('\r');
        if (lines.isEmpty()) {
            error = QStringLiteral("--prompts: '%1' holds no prompt (one per line)").arg(parser.value(prompts));
            return false;
        }
        options.prompt = lines.takeFirst();
        options.more_prompts = lines;
    }
    options.layers = parser.value(layers).toInt(&ok);
    if (!ok || options.layers < 0) {
        error = QStringLiteral("--layers expects a number >= 0, got '%1'").arg(parser.value(layers));
        return false;
    }
    options.max_new = parser.value(max_new).toInt(&ok);
    if (!ok || options.max_new < 0) {
        error = QStringLiteral("--max-new expects a number >= 0, got '%1'").arg(parser.value(max_new));
        return false;
    }
    if (options.backend != "cpu" && options.backend != "vulkan") {
        error = QStringLiteral("--backend expects cpu or vulkan, got '%1'").arg(options.backend);
        return false;
    }
    if (!options.model.isEmpty() && !options.synthetic.isEmpty()) {
        error = QStringLiteral("--model and --synthetic exclude each other");
        return false;
    }
    result = options;
    return true;
}

}  // namespace kvs::ui
