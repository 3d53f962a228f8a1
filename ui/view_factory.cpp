#include "view_factory.h"

#include <QScrollArea>
#include <QTabWidget>
#include <algorithm>

#include "debugger_panel.h"
#include "engine_controller.h"
#include "main_window.h"
#include "run_data.h"
#include "step_table_view.h"
#include "token_stream_view.h"
#include "views/attention_view.h"
#include "views/block_pool_view.h"
#include "views/cache_inspector_view.h"
#include "views/compare_view.h"
#include "views/compute_view.h"
#include "views/kv_memory_view.h"
#include "views/kv_sim_view.h"
#include "views/token_ops_view.h"
#include "views/memory_calculator_view.h"
#include "views/perturbation_view.h"
#include "views/pool_memory_view.h"

namespace kvs::ui {

void add_standard_views(MainWindow& window, RunData& run) {
    auto* kv_memory = new KvMemoryView(&run);
    kv_memory->setObjectName("kvMemoryView");
    auto* attention = new AttentionView(&run);
    attention->setObjectName("attentionView");
    auto* compute = new ComputeView(&run);
    compute->setObjectName("computeView");
    auto* cache = new CacheInspectorView(&run);
    cache->setObjectName("cacheInspectorView");
    auto* calculator = new MemoryCalculatorView;
    calculator->setObjectName("memoryCalculatorView");
    auto* steps = new StepTableView(&run);
    steps->setObjectName("stepTableView");
    auto* pool = new BlockPoolView(&run);
    pool->setObjectName("blockPoolView");
    auto* pool_memory = new PoolMemoryView(&run);
    pool_memory->setObjectName("poolMemoryView");
    auto* sim = new KvSimView;
    sim->setObjectName("kvSimView");
    auto* ops = new TokenOpsView(&run);
    ops->setObjectName("tokenOpsView");
    auto* perturbation = new PerturbationView(&run);
    perturbation->setObjectName("perturbationView");

    window.addView(QObject::tr("KV memory"), kv_memory);
    window.addView(QObject::tr("Attention"), attention);
    window.addView(QObject::tr("Compute"), compute);
    window.addView(QObject::tr("Ops of one token"), ops);
    window.addView(QObject::tr("Why only K and V"), perturbation);
    window.addView(QObject::tr("Block pool"), pool);
    window.addView(QObject::tr("Pool memory"), pool_memory);
    window.addView(QObject::tr("Cache inspector"), cache);
    window.addView(QObject::tr("Memory calculator"), calculator);
    window.addView(QObject::tr("Allocation simulator"), sim);
    window.addView(QObject::tr("Steps"), steps);
    auto* debugger = new DebuggerPanel(&run, &window.controller());
    debugger->setObjectName("debuggerPanel");
    // In a scroll area: its three groups stacked must not raise the window's minimum height.
    auto* debugger_scroll = new QScrollArea;
    debugger_scroll->setWidget(debugger);
    debugger_scroll->setWidgetResizable(true);
    debugger_scroll->setFrameShape(QFrame::NoFrame);
    window.addView(QObject::tr("Debugger"), debugger_scroll);
    auto* compare = new CompareView;
    compare->setObjectName("compareView");
    // In a scroll area too: two settings forms side by side must not widen the window's minimum.
    auto* compare_scroll = new QScrollArea;
    compare_scroll->setWidget(compare);
    compare_scroll->setWidgetResizable(true);
    compare_scroll->setFrameShape(QFrame::NoFrame);
    window.addView(QObject::tr("Compare"), compare_scroll);

    // The cache inspector reads the cache through the controller, never the engine itself.
    EngineController& controller = window.controller();
    QObject::connect(cache, &CacheInspectorView::snapshotRequested, &controller, &EngineController::requestKvSnapshot);
    QObject::connect(&controller, &EngineController::kvSnapshotReady, cache, &CacheInspectorView::setSnapshot);
    QObject::connect(perturbation, &PerturbationView::experimentRequested, &controller,
                     [&controller](int position, int layer, const QString& op) {
                         controller.requestPerturbation(position, layer, op);
                     });
    QObject::connect(&controller, &EngineController::perturbationReady, perturbation, &PerturbationView::setResult);
    QObject::connect(&window, &MainWindow::modelReady, perturbation,
                     [perturbation](const ModelInfo& info) { perturbation->setLayers(info.layers); });

    // The comparison runs on the engine thread; the view gets the result by value.
    QObject::connect(compare, &CompareView::compareRequested, &controller, &EngineController::compareRuns);
    QObject::connect(compare, &CompareView::cancelRequested, &controller, &EngineController::cancelComparison);
    QObject::connect(&controller, &EngineController::comparisonReady, compare, &CompareView::setComparison);
    QObject::connect(&controller, &EngineController::comparisonProgress, compare, &CompareView::setProgress);
    QObject::connect(&controller, &EngineController::busyChanged, compare, &CompareView::setBusy);
    QObject::connect(&window, &MainWindow::modelReady, compare,
                     [compare](const ModelInfo& info) { compare->setDefaultPrompt(info.default_prompt); });

    QObject::connect(&window, &MainWindow::modelReady, calculator, [calculator](const ModelInfo& info) {
        // The calculator starts from the loaded model's shape at its full context, in f16.
        calculator->setShape(info.layers, info.kv_heads, info.head_dim);
        calculator->setTokens(std::max(1, info.context));
        calculator->setBatch(1);
    });
    QObject::connect(&window, &MainWindow::modelReady, kv_memory, [kv_memory](const ModelInfo& info) {
        // A synthetic model has a real model's shape at toy scale in the run: the projection of
        // the real models puts its numbers next to theirs.
        kv_memory->setProjectionsVisible(info.format == "synthetic");
    });

    // The token stream stays visible under every tab.
    window.addDockView(QObject::tr("Tokens"), new TokenStreamView(&run), Qt::BottomDockWidgetArea);
    window.viewTabs()->setCurrentIndex(0);
}

}  // namespace kvs::ui
