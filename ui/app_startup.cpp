#include "app_startup.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTabWidget>
#include <QTimer>

#include "engine_controller.h"
#include "first_run_dialog.h"
#include "debugger_screenshots.h"
#include "lecture_screenshots.h"
#include "generation_panel.h"
#include "main_window.h"
#include "model_discovery.h"
#include "model_panel.h"
#include "run_data.h"
#include "screenshot_support.h"
#include "synthetic_presets.h"
#include "views/compare_view.h"
#include "views/kv_sim_view.h"

namespace kvs::ui {

namespace {
constexpr int kScreenshotTokens = 40;
constexpr int kScreenshotTimeoutMs = 180000;

DiscoveryRoots standard_roots() {
    return default_discovery_roots(QDir::currentPath(), QCoreApplication::applicationDirPath(), QDir::homePath(),
                                   qEnvironmentVariable("KVSCOPE_MODEL_PATH"), qEnvironmentVariable("HF_HOME"));
}
}  // namespace

void start_app(MainWindow& window, const CommandLineOptions& options) {
    const DiscoveryRoots roots = standard_roots();
    window.setDiscoveryRoots(roots);
    window.generationPanel()->setPrompt(options.prompt);
    window.generationPanel()->setMorePrompts(options.more_prompts);
    window.generationPanel()->setBlockSize(options.block_size);
    window.generationPanel()->setPrefixCache(options.prefix_cache);
    window.generationPanel()->setBackend(options.backend);
    if (options.max_new > 0) window.generationPanel()->setMaxNewTokens(options.max_new);
    if (!options.screenshot_dir.isEmpty()) window.setLoadErrorDialogs(false);

    if (!options.model.isEmpty()) {
        QString tokenizer = options.tokenizer;
        if (tokenizer.isEmpty() && QFileInfo(options.model).isFile() && options.model.endsWith(".bin"))
            tokenizer = tokenizer_beside(options.model);
        window.loadModel(options.model, tokenizer);
        return;
    }
    if (!options.synthetic.isEmpty()) {
        window.loadSynthetic(options.synthetic, options.layers);
        return;
    }
    const DiscoveredModel fallback = find_default_model(roots);
    if (!fallback.path.isEmpty()) {
        window.loadModel(fallback.path, fallback.tokenizer);
        return;
    }
    if (!options.screenshot_dir.isEmpty()) {  // no one to ask: take a small synthetic model
        const QString preset = small_synthetic_preset();
        if (!preset.isEmpty()) window.loadSynthetic(preset, 2);
        else window.showError(QObject::tr("No model found and no synthetic presets in this build."));
        return;
    }
    // Asked after the window is up, so the dialog has a parent to sit on.
    QTimer::singleShot(0, &window, [&window] {
        FirstRunDialog dialog(&window);
        dialog.exec();
        if (dialog.choice() == FirstRunDialog::Choice::Synthetic) window.loadSynthetic(dialog.preset(), 0);
        else if (dialog.choice() == FirstRunDialog::Choice::OpenFile) window.modelPanel()->openFileDialog();
    });
}

namespace {

void save_and_quit(MainWindow& window, const QString& dir) {
    const QStringList files = window.saveScreenshots(dir);
    for (const QString& f : files) qInfo("wrote %s", qPrintable(f));
    QCoreApplication::exit(files.isEmpty() ? 1 : 0);
}

// After the first run: the Compare view runs the prompt greedily (A) and with temperature 1,
// top-p 1, seed 7 (B); pictures follow once the comparison is shown.
void run_compare_scenario(MainWindow& window, const QString& dir) {
    auto* view = window.findChild<CompareView*>("compareView");
    if (!view) {
        qWarning("screenshots: no Compare view");
        return QCoreApplication::exit(1);
    }
    CompareSettings settings = view->settings();
    settings.max_new = kScreenshotTokens;
    settings.a = CompareSide{};
    settings.b = CompareSide{};
    settings.b.sampling.temperature = 1.0f;
    settings.b.sampling.top_p = 1.0f;
    settings.b.sampling.seed = 7;
    view->setSettings(settings);
    show_view(window, QObject::tr("Compare"));
    auto done = std::make_shared<QMetaObject::Connection>();
    *done = QObject::connect(&window.controller(), &EngineController::comparisonReady, &window, [&window, dir, done] {
        QObject::disconnect(*done);
        QTimer::singleShot(800, &window, [&window, dir] { save_and_quit(window, dir); });
    });
    view->requestComparison();
}

// After the first run: a branch forced at step 12, one forced at step 30 of the first branch,
// then the first forced branch runs on until a breakpoint stops it. Once the engine is idle the
// experiments run on that branch (why only K and V, the logit lens of the selected step) and the
// pictures follow, with the Debugger tab in front.
void run_debugger_scenario(MainWindow& window, const QString& dir) {
    EngineController& c = window.controller();
    c.addBreakpoint("entropy>1.5");
    c.forceAt(12, -1, " dog");
    c.switchBranch(0);
    c.forceAt(30, -1, " cat");
    c.switchBranch(1);
    c.run(20);
    auto done = std::make_shared<QMetaObject::Connection>();
    *done = QObject::connect(&c, &EngineController::busyChanged, &window, [&window, dir, done](bool busy) {
        if (busy) return;
        QObject::disconnect(*done);
        QTimer::singleShot(800, &window, [&window, dir] {
            show_view(window, QObject::tr("Debugger"));
            const auto& steps = window.runData().steps();
            if (steps.size() > 1) window.runData().setSelectedStep(steps[steps.size() - 2].step);
            // The experiments on the active branch, then every tab with the lens shown.
            take_experiment_screenshots(window, dir, [&window, dir] {
                QTimer::singleShot(500, &window, [&window, dir] { save_and_quit(window, dir); });
            });
        });
    });
}

}  // namespace

void run_screenshot_session(MainWindow& window, const QString& dir, ScreenshotScenario scenario) {
    window.resetLayout();  // the same pictures whatever layout the user saved
    const bool lecture = scenario == ScreenshotScenario::Lecture;
    window.generationPanel()->setMaxNewTokens(lecture ? kLectureNewTokens : kScreenshotTokens);
    if (lecture) window.generationPanel()->setSampling(kLectureTemperature, kLectureSeed);
    auto started = std::make_shared<bool>(false);
    QObject::connect(&window, &MainWindow::modelReady, &window, [&window, started] {
        if (*started) return;
        *started = true;
        window.runOrPause();  // the run's first step is the prefill
    });
    auto finished_once = std::make_shared<bool>(false);
    QObject::connect(&window.runData(), &RunData::runFinished, &window, [&window, dir, scenario, finished_once] {
        if (*finished_once) return;
        *finished_once = true;
        if (scenario == ScreenshotScenario::Debugger) return run_debugger_scenario(window, dir);
        if (scenario == ScreenshotScenario::Compare) return run_compare_scenario(window, dir);
        if (scenario == ScreenshotScenario::Lecture)
            return QTimer::singleShot(800, &window, [&window, dir] { take_lecture_screenshots(window, dir); });
        // Give the views' coalesced redraws time to land, select a late step so the selection
        // shows, then grab.
        QTimer::singleShot(800, &window, [&window, dir] {
            const auto& steps = window.runData().steps();
            if (!steps.empty()) window.runData().setSelectedStep(steps[steps.size() * 3 / 4].step);
            auto save = [&window, dir] {
                QTimer::singleShot(300, &window, [&window, dir] { save_and_quit(window, dir); });
            };
            // The allocation simulator shows its default workload once simulated.
            auto* sim = window.findChild<KvSimView*>("kvSimView");
            if (!sim) return save();
            QObject::connect(sim, &KvSimView::finished, &window, save);
            sim->runSimulation();
        });
    });
    // Without a model there is nothing to show: say why and stop instead of waiting.
    QObject::connect(&window.controller(), &EngineController::errorOccurred, &window, [started](const QString& message) {
        if (*started) return;
        qWarning("screenshots: %s", qPrintable(message));
        QCoreApplication::exit(1);
    });
    QTimer::singleShot(kScreenshotTimeoutMs, &window, [] {
        qWarning("screenshot run did not finish in time");
        QCoreApplication::exit(1);
    });
}

}  // namespace kvs::ui
