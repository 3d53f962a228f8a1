// kvscope-cli export: runs a generation like `trace` and renders the desktop application's
// charts (KV memory, attention, compute, cache inspector, memory calculator) into files, with
// the events as JSON Lines and CSV beside them. The charts are the GUI's own views drawn on
// Qt's offscreen platform, so the pictures are the ones the application shows, and no display
// is needed. Built only with the GUI (KVSCOPE_BUILD_GUI), into the companion executable
// `kvscope-cli-gui` (gui_commands.h), since it links the view library.
#include <QApplication>
#include <QByteArray>
#include <QDir>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "command_registry.h"
#include "gui_commands.h"
#include "model_options.h"
#include "run_data.h"
#include "views/chart_exporter.h"

namespace kvs::cli {
namespace {

// Gathers a step's events and hands them to the run data together, as the GUI's worker does.
class RunDataFeeder : public EventObserver {
public:
    explicit RunDataFeeder(ui::RunData& run) : run_(run) {}
    void on_event(const Event& event) override {
        pending_.push_back(event);
        if (std::holds_alternative<StepFinished>(event) || std::holds_alternative<RunFinished>(event)) flush();
    }
    void flush() {
        if (pending_.empty()) return;
        run_.append(pending_);
        pending_.clear();
    }

private:
    ui::RunData& run_;
    std::vector<Event> pending_;
};

// The offscreen platform says it cannot pass size hints to a window manager for every view laid
// out; there is no window manager to tell, so that line is noise here.
void quiet_offscreen_messages(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (message.contains(QLatin1String("propagateSizeHints"))) return;
    std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
}

Result<QList<ui::ExportFormat>> formats_from(const std::string& text) {
    QList<ui::ExportFormat> out;
    std::stringstream list(text);
    std::string item;
    while (std::getline(list, item, ',')) {
        if (item == "png") out << ui::ExportFormat::Png;
        else if (item == "svg") out << ui::ExportFormat::Svg;
        else if (item == "pdf") out << ui::ExportFormat::Pdf;
        else return err("--formats expects a comma-separated list of png, svg and pdf, got '", text, "'");
    }
    if (out.isEmpty()) return err("--formats is empty; give png, svg and/or pdf");
    return out;
}

Result<QSize> size_from(const std::string& text) {
    int w = 0, h = 0;
    char x = 0;
    std::stringstream in(text);
    if (!(in >> w >> x >> h) || x != 'x' || w < 200 || h < 150 || w > 8000 || h > 8000)
        return err("--size expects WIDTHxHEIGHT in pixels between 200x150 and 8000x8000, got '", text, "'");
    return QSize(w, h);
}

Result<AttentionCapture::Mode> capture_from(const std::string& mode) {
    if (mode == "off") return AttentionCapture::Mode::Off;
    if (mode == "new-rows") return AttentionCapture::Mode::NewRows;
    if (mode == "full") return AttentionCapture::Mode::Full;
    return err("--capture expects off, new-rows or full, got '", mode, "'");
}

int run_export(const std::vector<std::string>& args) {
    ArgParser p("export", "Run a generation and render the GUI's charts (KV memory, attention, compute, block "
                          "pool, pool memory, cache inspector, memory calculator) as PNG/SVG/PDF, with the events as "
                          "JSON Lines and CSV. With --prompts the views show the first sequence, the block pool all. "
                          "Needs no display: Qt's offscreen platform is used unless QT_QPA_PLATFORM says otherwise.");
    add_model_options(p);
    add_backend_options(p);
    add_generation_options(p);
    add_prompts_option(p);
    p.option("out", "DIR", "folder for the files (created)")
        .option("formats", "LIST", "chart formats, comma-separated: png, svg, pdf", "png,svg,pdf")
        .option("size", "WxH", "size each chart is laid out and drawn at, in pixels", "1400x900")
        .option("capture", "MODE", "attention probabilities: off, new-rows or full", "new-rows")
        .flag("no-events", "leave out events.jsonl and the CSV tables");
    if (auto s = p.parse(args); !s) return fail("export", s.message());
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    if (!p.has("out")) return fail("export", "give --out DIR (see export --help)");
    auto formats = formats_from(p.get("formats"));
    if (!formats) return fail("export", formats.message());
    auto size = size_from(p.get("size"));
    if (!size) return fail("export", size.message());
    auto capture = capture_from(p.get("capture"));
    if (!capture) return fail("export", capture.message());
    auto n = p.get_int("n");
    if (!n) return fail("export", n.message());
    if (*n < 0) return fail("export", "-n must be >= 0");

    // Rendering to files needs no screen: offscreen unless the caller chose a platform.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    qInstallMessageHandler(quiet_offscreen_messages);
    static int qt_argc = 1;
    static char qt_name[] = "kvscope-cli";
    static char* qt_argv[] = {qt_name, nullptr};
    QApplication app(qt_argc, qt_argv);
    QApplication::setApplicationName("kvscope");

    auto model = load_model_from_args(p);
    if (!model) return fail("export", model.message());
    auto options = session_options_from_args(p);
    if (!options) return fail("export", options.message());
    options->capture.mode = *capture;
    auto prompts = prompts_from_args(p);
    if (!prompts) return fail("export", prompts.message());
    auto backend = create_backend_from_args(p, *model, /*measure_ops=*/true, int(prompts->size()));
    if (!backend) return fail("export", backend.message());

    warn_about_run(**model, {p.get("prompt")}, *n, (*backend)->kv_layout().capacity);
    ui::RunData run;
    RunDataFeeder feeder(run);
    GenerationSession session(*model, std::move(*backend), *options, &feeder);
    if (auto s = session.start_many(*prompts); !s) return fail("export", s.message());
    const Status generated = session.run(*n);
    feeder.flush();
    if (!generated) return fail("export", generated.message());

    // The cache inspector shows the first layer's first KV head and the last layer's.
    ui::ExportOptions export_options;
    export_options.size = *size;
    export_options.formats = *formats;
    export_options.events = !p.is_set("no-events");
    const int layers = (*model)->config.n_layers;
    std::vector<int> inspected = {0};
    if (layers > 1) inspected.push_back(layers - 1);
    for (int layer : inspected) {
        ui::KvSnapshot snapshot;
        snapshot.layer = layer;
        snapshot.length = session.backend().cache_length();
        snapshot.head_dim = session.backend().kv_layout().head_dim;
        if (auto s = session.backend().read_kv(layer, 0, snapshot.keys, snapshot.values); !s)
            return fail("export", s.message());
        export_options.snapshots.push_back(std::move(snapshot));
    }

    const QString dir = QString::fromStdString(p.get("out"));
    const ui::ExportResult result = ui::export_all(run, dir, export_options);
    if (!result.ok()) return fail("export", result.error.toStdString());
    for (const QString& f : result.files) std::printf("%s\n", qPrintable(QDir::cleanPath(f)));
    std::fprintf(stderr, "[%s] %d prompt + %d new tokens, stop: %s; %lld files in %s\n",
                 session.backend().name().c_str(), session.prompt_length(), session.generated(),
                 session.stop_reason().c_str(), static_cast<long long>(result.files.size()), qPrintable(dir));
    return 0;
}

const CommandRegistration reg{kExportCommand.name, kExportCommand.summary, run_export};

}  // namespace
}  // namespace kvs::cli
