// kvscope-cli bench-gui: how long the desktop application's GUI thread is held while a run
// streams in at full speed. The whole main window (every view listening, the token dock, the
// status bar) runs a synthetic model with a long context on Qt's offscreen platform, once per
// run length and view in front, and prints per view:
//   - the longest stall: the longest gap between two ticks of a 5 ms timer on the GUI thread
//     (wall clock), and the most GUI-thread CPU time spent inside one such gap;
//   - the cost of one refresh of the view in front: the GUI thread's CPU time in every event
//     it dispatched to the view's widgets or timers (its redraws, its paints), with the median
//     and the maximum;
//   - the longest single dispatch to anything else (event delivery into the run data, the
//     token dock), which is part of the stall but not of the view.
// CPU time rather than wall time for the dispatches, so that other processes on a busy machine
// do not count; the stall is given both ways.
// Built only with the GUI (KVSCOPE_BUILD_GUI), into the companion executable `kvscope-cli-gui`
// (gui_commands.h), since it links the view library.
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QStandardPaths>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "command_registry.h"
#include "gui_commands.h"
#include "arg_parser.h"
#include "engine_controller.h"
#include "generation_panel.h"
#include "main_window.h"
#include "model/synthetic_model.h"
#include "run_data.h"

namespace kvs::cli {
namespace {

double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// Times every event the GUI thread dispatches (outermost dispatches only: a paint inside a
// redraw counts once, in the redraw) and adds it to the view it belongs to.
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;

    // The objects whose events count as "the view in front"; everything else is "other".
    QObject* view = nullptr;

    std::vector<double> view_ms;
    double other_max_ms = 0.0;
    QString other_max_name;

    bool notify(QObject* receiver, QEvent* event) override {
        // Only the GUI thread's dispatches count (the engine thread delivers its own).
        if (view == nullptr || QThread::currentThread() != thread()) return QApplication::notify(receiver, event);
        if (depth_ > 0) {
            // Inside another dispatch: a paint of the view's widgets (painting is driven by the
            // window's update request) is the view's cost.
            const bool view_paint = event->type() == QEvent::Paint && !in_view_paint_ && belongs_to_view(receiver);
            if (!view_paint) return dispatch(receiver, event);
            in_view_paint_ = true;
            const double t0 = thread_cpu_ms();
            const bool r = dispatch(receiver, event);
            nested_view_ms_ += thread_cpu_ms() - t0;
            in_view_paint_ = false;
            return r;
        }
        // Decided before the dispatch, which may delete the receiver.
        const bool in_view = belongs_to_view(receiver);
        const QString name = in_view ? QString() : QString::fromLatin1(receiver->metaObject()->className());
        nested_view_ms_ = 0.0;
        const double t0 = thread_cpu_ms();
        const bool r = dispatch(receiver, event);
        const double ms = thread_cpu_ms() - t0;
        const double view_part = in_view ? ms : nested_view_ms_;
        if (view_part > 0.0) view_ms.push_back(view_part);
        if (ms - view_part > other_max_ms) {
            other_max_ms = ms - view_part;
            other_max_name = name;
        }
        return r;
    }

private:
    bool dispatch(QObject* receiver, QEvent* event) {
        ++depth_;
        const bool r = QApplication::notify(receiver, event);
        --depth_;
        return r;
    }
    bool belongs_to_view(const QObject* o) const {
        // (Bounded: while an object is being reparented its chain may briefly loop.)
        for (int hops = 0; o && hops < 64; o = o->parent(), ++hops)
            if (o == view) return true;
        return false;
    }
    int depth_ = 0;
    bool in_view_paint_ = false;
    double nested_view_ms_ = 0.0;
};

struct ViewFigures {
    QString view;
    int positions = 0;
    double stall_ms = 0.0, busy_ms = 0.0;
    int refreshes = 0;
    double median_ms = 0.0, max_ms = 0.0;
    double other_max_ms = 0.0;
    QString other_max_name;
    double run_s = 0.0;
};

// The shape of the benchmark: two Llama layers, two query heads sharing one KV head, a small
// width (the engine is not what is measured) and a context of `context` positions.
ModelConfig bench_config(int context) {
    ModelConfig c;
    c.name = "bench-long";
    c.arch = Architecture::Llama;
    c.dim = 64;
    c.hidden_dim = 172;
    c.n_layers = 2;
    c.n_heads = 2;
    c.n_kv_heads = 1;
    c.vocab_size = 512;
    c.max_seq_len = context;
    c.norm_eps = 1e-5f;
    c.rope_theta = 10000.0f;
    return c;
}

Result<ViewFigures> measure(TimedApplication& app, const QString& tab, int positions) {
    ui::MainWindow window;
    window.setLoadErrorDialogs(false);
    window.resize(1600, 1000);
    int index = -1;
    for (int i = 0; i < window.viewTabs()->count(); ++i)
        if (window.viewTabs()->tabText(i).compare(tab, Qt::CaseInsensitive) == 0) index = i;
    if (index < 0) return err("no view named '", tab.toStdString(), "'");
    window.viewTabs()->setCurrentIndex(index);
    window.show();

    auto model = make_synthetic_model(bench_config(positions + 8), "synthetic:bench-long", 1234);
    if (!model) return err(model.message());
    QEventLoop loop;
    bool ready = false;
    QObject::connect(&window, &ui::MainWindow::modelReady, &loop, [&] {
        ready = true;
        loop.quit();
    });
    QObject::connect(&window.runData(), &ui::RunData::runStarted, &loop, &QEventLoop::quit);
    window.generationPanel()->setPrompt("Once");
    window.controller().loadBuiltModel(std::move(*model));
    QTimer::singleShot(60000, &loop, &QEventLoop::quit);
    loop.exec();
    if (!ready) return err("the model did not load within a minute");
    auto wait_for_run = [&window] {
        QEventLoop started;
        QObject::connect(&window.runData(), &ui::RunData::runStarted, &started, &QEventLoop::quit);
        QTimer::singleShot(60000, &started, &QEventLoop::quit);
        if (!window.runData().hasRun()) started.exec();
        return window.runData().hasRun();
    };
    if (!wait_for_run()) return err("the run did not start within a minute");
    // The run ends when the cache holds `positions` (the token sampled last is not cached).
    const int prompt = int(window.runData().tokens().size());
    window.generationPanel()->setMaxNewTokens(positions - prompt + 1);
    window.resetRun();
    if (!wait_for_run()) return err("the run did not restart within a minute");

    QElapsedTimer clock;
    double last = -1, last_cpu = 0, max_gap = 0, max_busy = 0;
    QTimer ticker;
    ticker.setInterval(5);
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, &ticker, [&] {
        const double now = double(clock.nsecsElapsed()) / 1e6, cpu = thread_cpu_ms();
        if (last >= 0) {
            max_gap = std::max(max_gap, now - last);
            max_busy = std::max(max_busy, cpu - last_cpu);
        }
        last = now;
        last_cpu = cpu;
    });
    QEventLoop running;
    QObject::connect(&window.controller(), &ui::EngineController::busyChanged, &running, [&](bool busy) {
        if (!busy && window.runData().finished()) QTimer::singleShot(300, &running, &QEventLoop::quit);
    });
    QTimer::singleShot(30 * 60 * 1000, &running, &QEventLoop::quit);
    app.view = window.viewTabs()->widget(index);
    app.view_ms.clear();
    app.other_max_ms = 0.0;
    clock.start();
    ticker.start();
    window.runOrPause();
    running.exec();
    ticker.stop();
    app.view = nullptr;
    if (!window.runData().finished()) return err("the run did not finish within 30 minutes");

    ViewFigures f;
    f.view = tab;
    f.positions = window.runData().kvPoints().empty() ? 0 : window.runData().kvPoints().back().positions;
    f.stall_ms = max_gap;
    f.busy_ms = max_busy;
    f.run_s = double(clock.elapsed()) / 1e3;
    std::vector<double> ms = app.view_ms;
    // Dispatches that did nothing (a timer that found no work) are not refreshes.
    ms.erase(std::remove_if(ms.begin(), ms.end(), [](double v) { return v < 0.05; }), ms.end());
    f.refreshes = int(ms.size());
    if (!ms.empty()) {
        std::sort(ms.begin(), ms.end());
        f.median_ms = ms[ms.size() / 2];
        f.max_ms = ms.back();
    }
    f.other_max_ms = app.other_max_ms;
    f.other_max_name = app.other_max_name;
    return f;
}

Result<std::vector<int>> int_list(const std::string& text, const char* what) {
    std::vector<int> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            const int v = std::stoi(item);
            if (v < 16 || v > 65536) return err(what, " must be between 16 and 65536, got ", v);
            out.push_back(v);
        } catch (...) {
            return err(what, " expects a comma-separated list of numbers, got '", text, "'");
        }
    }
    if (out.empty()) return err(what, " is empty");
    return out;
}

int run_bench_gui(const std::vector<std::string>& args) {
    ArgParser p("bench-gui",
                "Measure how long the desktop application's GUI thread is held while a synthetic model (2 layers, "
                "2 query heads over 1 KV head, context as long as the run) generates at full speed into the whole "
                "main window, with each view in front in turn. Prints per run length and view the longest stall "
                "(gap between ticks of a 5 ms GUI timer), the most GUI-thread CPU in one gap, and the median and "
                "maximum cost of one refresh of the view in front. Uses Qt's offscreen platform unless "
                "QT_QPA_PLATFORM says otherwise.");
    p.option("positions", "LIST", "run lengths in cache positions, comma-separated", "512,4096,16384")
        .option("views", "LIST", "tab names, comma-separated (default: every view)", "");
    if (auto s = p.parse(args); !s) return std::fprintf(stderr, "bench-gui: %s\n", s.message().c_str()), 2;
    if (p.help_requested()) return std::printf("%s", p.help().c_str()), 0;
    auto lengths = int_list(p.get("positions"), "--positions");
    if (!lengths) return std::fprintf(stderr, "bench-gui: %s\n", lengths.message().c_str()), 2;

    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int qt_argc = 1;
    static char qt_name[] = "kvscope-cli";
    static char* qt_argv[] = {qt_name, nullptr};
    TimedApplication app(qt_argc, qt_argv);

    QApplication::setApplicationName("kvscope-bench");
    QStandardPaths::setTestModeEnabled(true);  // leaves the user's settings and recent files alone
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& message) {
        if (type >= QtWarningMsg && !message.contains(QLatin1String("propagateSizeHints")))
            std::fprintf(stderr, "%s\n", qPrintable(message));
    });

    QStringList views;
    if (!p.get("views").empty()) {
        views = QString::fromStdString(p.get("views")).split(',', Qt::SkipEmptyParts);
    } else {
        ui::MainWindow probe;
        for (int i = 0; i < probe.viewTabs()->count(); ++i) views << probe.viewTabs()->tabText(i);
    }

    std::printf("%-18s %9s %10s %9s %9s %11s %10s %10s  %s\n", "view", "positions", "stall ms", "busy ms",
                "refreshes", "median ms", "max ms", "run s", "longest other dispatch");
    int failures = 0;
    for (int n : *lengths) {
        for (const QString& view : views) {
            auto f = measure(app, view, n);
            if (!f) {
                std::fprintf(stderr, "bench-gui: %s at %d positions: %s\n", qPrintable(view), n, f.message().c_str());
                ++failures;
                continue;
            }
            std::printf("%-18s %9d %10.1f %9.1f %9d %11.2f %10.2f %10.1f  %.1f ms (%s)\n", qPrintable(f->view),
                        f->positions, f->stall_ms, f->busy_ms, f->refreshes, f->median_ms, f->max_ms, f->run_s,
                        f->other_max_ms, qPrintable(f->other_max_name));
            std::fflush(stdout);
        }
    }
    return failures ? 1 : 0;
}

const CommandRegistration reg{kBenchGuiCommand.name, kBenchGuiCommand.summary, run_bench_gui};

}  // namespace
}  // namespace kvs::cli
