#include "gui_load_cycles.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <functional>
#include <memory>

#include "engine_controller.h"
#include "main_window.h"
#include "process_memory.h"

namespace kvs::cli {

namespace {

// Runs the event loop until `done` holds (checked every 10 ms), or `timeout_ms` passes.
bool wait_until(const std::function<bool()>& done, int timeout_ms) {
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeout_ms) return false;
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

void quiet_offscreen_messages(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (message.contains(QLatin1String("propagateSizeHints"))) return;
    std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
}

}  // namespace

Result<GuiCycleReport> run_gui_load_cycles(const GuiCycleOptions& o) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    qInstallMessageHandler(quiet_offscreen_messages);
    static int argc = 1;
    static char name[] = "kvscope-cli";
    static char* argv[] = {name, nullptr};
    std::unique_ptr<QApplication> app;
    if (!QApplication::instance()) app = std::make_unique<QApplication>(argc, argv);

    GuiCycleReport report;
    report.memory.unit = "cycles";
    const int every = std::max(1, o.cycles / std::max(1, o.samples));
    report.memory.warm = std::size_t(std::max(1, o.samples / 10));
    QElapsedTimer clock;
    clock.start();
    {
        ui::MainWindow window;
        window.setLoadErrorDialogs(false);
        window.resize(1280, 800);
        window.show();
        ui::EngineController& c = window.controller();
        int loaded = 0, finished = 0;
        QString error;
        QObject::connect(&c, &ui::EngineController::modelLoaded, [&] { ++loaded; });
        QObject::connect(&c, &ui::EngineController::errorOccurred, [&](const QString& m) { error = m; });
        QObject::connect(&c, &ui::EngineController::eventsReady, [&](const ui::EventBatch& batch) {
            for (const Event& e : batch) finished += std::holds_alternative<RunFinished>(e);
        });
        constexpr int kTimeoutMs = 600000;
        for (int cycle = 1; cycle <= o.cycles; ++cycle) {
            const int want_loaded = loaded + 1;
            if (o.synthetic.empty()) c.loadModel(QString::fromStdString(o.model), QString::fromStdString(o.tokenizer));
            else window.loadSynthetic(QString::fromStdString(o.synthetic), o.layers);
            if (!wait_until([&] { return loaded >= want_loaded || !error.isEmpty(); }, kTimeoutMs))
                return err("load ", cycle, " did not finish");
            if (!error.isEmpty()) return err("load ", cycle, ": ", error.toStdString());
            if (o.steps > 0) {
                ui::RunSettings s;
                s.prompt = "Once upon a time";
                s.backend = QString::fromStdString(o.backend);
                const int want_finished = finished + 1;
                c.configure(s);
                c.run(o.steps);
                if (!wait_until([&] { return finished >= want_finished || !error.isEmpty(); }, kTimeoutMs))
                    return err("the run of cycle ", cycle, " did not finish");
                if (!error.isEmpty()) return err("cycle ", cycle, ": ", error.toStdString());
            }
            wait_until([&] { return !c.isBusy(); }, kTimeoutMs);
            if (cycle % every == 0 || cycle == o.cycles) report.memory.add(cycle, resident_bytes());
        }
    }
    report.seconds = double(clock.elapsed()) / 1000.0;
    return report;
}

}  // namespace kvs::cli
