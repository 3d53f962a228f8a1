#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>

#include "sequence_selector.h"
#include <QVBoxLayout>

#include "engine_controller.h"
#include "export_menu.h"
#include "help_menu.h"
#include "pace_control.h"
#include "presentation_mode.h"
#include "generation_panel.h"
#include "human_units.h"
#include "message_banner.h"
#include "model_panel.h"
#include "run_data.h"
#include "screenshot_support.h"
#include "view_factory.h"

namespace kvs::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), run_(new RunData(this)), controller_(new EngineController(this)) {
    setWindowTitle("kvscope");
    setObjectName("mainWindow");
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    resize(1400, 900);

    tabs_ = new QTabWidget(this);
    tabs_->setObjectName("viewTabs");
    tabs_->setDocumentMode(true);
    banner_ = new MessageBanner(this);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(banner_);
    layout->addWidget(tabs_, 1);
    setCentralWidget(central);

    createActions();
    createMenus();
    createDocks();
    createStatusBar();
    connectController();
    add_standard_views(*this, *run_);
    restoreLayout();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    auto* st = style();
    prefill_action_ = new QAction(st->standardIcon(QStyle::SP_MediaSeekForward), tr("Prefill"), this);
    prefill_action_->setShortcut(Qt::Key_F5);
    prefill_action_->setToolTip(tr("Run the whole prompt in one pass and sample the first token (F5)"));
    step_action_ = new QAction(st->standardIcon(QStyle::SP_MediaSkipForward), tr("Step"), this);
    step_action_->setShortcut(Qt::Key_F10);
    step_action_->setToolTip(tr("One decode step: one new token, one new K and V per layer (F10)"));
    run_action_ = new QAction(st->standardIcon(QStyle::SP_MediaPlay), tr("Run"), this);
    run_action_->setShortcuts({QKeySequence(Qt::Key_F8), QKeySequence(Qt::Key_Space)});
    run_action_->setToolTip(tr("Generate up to the max new tokens; press again to pause (F8 or Space)"));
    reset_action_ = new QAction(st->standardIcon(QStyle::SP_BrowserReload), tr("Reset"), this);
    reset_action_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    reset_action_->setToolTip(tr("Start the run over with the current settings (Ctrl+R)"));
    connect(prefill_action_, &QAction::triggered, this, &MainWindow::prefill);
    connect(step_action_, &QAction::triggered, this, &MainWindow::step);
    connect(run_action_, &QAction::triggered, this, &MainWindow::runOrPause);
    connect(reset_action_, &QAction::triggered, this, &MainWindow::resetRun);

    auto* toolbar = addToolBar(tr("Run"));
    toolbar->setObjectName("runToolbar");
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addActions({prefill_action_, step_action_, run_action_, reset_action_});
    // A toolbar shows and hides its widgets through their actions: the selector appears for runs
    // of several sequences.
    QAction* selector = toolbar->addWidget(new SequenceSelector(run_, toolbar));
    toolbar->addSeparator();
    toolbar->addWidget(new QLabel(tr(" Pace ")));
    pace_control_ = new PaceControl(toolbar);
    toolbar->addWidget(pace_control_);
    controller_->setPace(pace_control_->paceMs());
    connect(pace_control_, &PaceControl::paceChanged, controller_, &EngineController::setPace);
    slower_action_ = new QAction(tr("Slower"), this);
    slower_action_->setShortcut(Qt::Key_BracketLeft);
    connect(slower_action_, &QAction::triggered, pace_control_, &PaceControl::slower);
    faster_action_ = new QAction(tr("Faster"), this);
    faster_action_->setShortcut(Qt::Key_BracketRight);
    connect(faster_action_, &QAction::triggered, pace_control_, &PaceControl::faster);
    auto show_selector = [this, selector] { selector->setVisible(run_->sequences().size() > 1); };
    connect(run_, &RunData::runStarted, this, show_selector);
    connect(run_, &RunData::cleared, this, show_selector);
    show_selector();
}

void MainWindow::createMenus() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open model\u2026"));
    open->setShortcut(QKeySequence::Open);
    auto* open_folder = file->addAction(style()->standardIcon(QStyle::SP_DirOpenIcon), tr("Open &folder\u2026"));
    open_folder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    file->addSeparator();
    add_export_menu(*this, file);
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    // The panel exists after createDocks(); connect through lambdas that look it up then.
    connect(open, &QAction::triggered, this, [this] { model_panel_->openFileDialog(); });
    connect(open_folder, &QAction::triggered, this, [this] { model_panel_->openFolderDialog(); });

    auto* run = menuBar()->addMenu(tr("&Run"));
    run->addActions({prefill_action_, step_action_, run_action_, reset_action_});
    run->addSeparator();
    run->addActions({slower_action_, faster_action_});

    view_menu_ = menuBar()->addMenu(tr("&View"));
    auto* reset_layout = view_menu_->addAction(tr("Reset layout"));
    connect(reset_layout, &QAction::triggered, this, &MainWindow::resetLayout);
    presentation_ = new PresentationMode(this, tabs_);
    present_action_ = view_menu_->addAction(tr("&Present this view"));
    present_action_->setShortcut(Qt::Key_F11);
    present_action_->setCheckable(true);
    present_action_->setToolTip(tr("The view in front, full screen with large type (F11; Esc or F11 leaves)"));
    addAction(present_action_);  // F11 also while the menu bar is hidden
    connect(present_action_, &QAction::triggered, presentation_, &PresentationMode::toggle);
    connect(presentation_, &PresentationMode::activeChanged, present_action_, &QAction::setChecked);
    view_menu_->addSeparator();

    add_help_menu(*this, menuBar());
}

void MainWindow::createDocks() {
    model_panel_ = new ModelPanel(this);
    generation_panel_ = new GenerationPanel(this);
    // Both panels scroll when the window is short, so that the window fits a laptop screen;
    // given room, the model list grows.
    for (auto [title, panel] : {std::pair{tr("Model"), static_cast<QWidget*>(model_panel_)},
                                std::pair{tr("Generation"), static_cast<QWidget*>(generation_panel_)}}) {
        auto* scroll = new QScrollArea(this);
        scroll->setWidget(panel);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        scroll->setMinimumHeight(120);
        scroll->setMinimumWidth(panel->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
        addDockView(title, scroll, Qt::LeftDockWidgetArea);
    }
    connect(model_panel_, &ModelPanel::loadModelRequested, this, &MainWindow::loadModel);
    connect(model_panel_, &ModelPanel::loadSyntheticRequested, this, &MainWindow::loadSynthetic);
    reconfigure_timer_ = new QTimer(this);
    reconfigure_timer_->setSingleShot(true);
    reconfigure_timer_->setInterval(300);  // a prompt being typed restarts the run once typing pauses
    connect(reconfigure_timer_, &QTimer::timeout, this, [this] {
        if (model_loaded_ && run_->steps().empty()) resetRun();
    });
    connect(generation_panel_, &GenerationPanel::settingsChanged, this, &MainWindow::onSettingsChanged);
}

void MainWindow::createStatusBar() {
    device_label_ = new QLabel(tr("no backend"), this);
    device_label_->setObjectName("deviceLabel");
    speed_label_ = new QLabel(this);
    speed_label_->setObjectName("speedLabel");
    speed_label_->setToolTip(tr("Decode speed: generated tokens per second of decode wall time"));
    cache_label_ = new QLabel(this);
    cache_label_->setObjectName("cacheLabel");
    cache_label_->setToolTip(tr("KV cache: blocks the sequences hold, their bytes, the formula for their tokens, and the pool allocated up front"));
    statusBar()->addPermanentWidget(device_label_);
    statusBar()->addPermanentWidget(speed_label_);
    statusBar()->addPermanentWidget(cache_label_);
    // The status figures are refreshed at most every 100 ms, however fast the steps arrive.
    status_timer_ = new QTimer(this);
    status_timer_->setSingleShot(true);
    status_timer_->setInterval(100);
    connect(status_timer_, &QTimer::timeout, this, &MainWindow::updateStatus);
    auto schedule = [this] {
        if (!status_timer_->isActive()) status_timer_->start();
    };
    connect(run_, &RunData::stepsAppended, this, schedule);
    connect(run_, &RunData::cleared, this, schedule);
    connect(run_, &RunData::runFinished, this, schedule);
    updateStatus();
}

void MainWindow::connectController() {
    connect(controller_, &EngineController::eventsReady, run_, &RunData::append);
    connect(controller_, &EngineController::modelLoaded, this, &MainWindow::onModelLoaded);
    connect(controller_, &EngineController::errorOccurred, this, &MainWindow::showError);
    connect(controller_, &EngineController::warningRaised, this,
            [this](const QString& message) { banner_->showMessage(message, MessageBanner::Kind::Warning); });
    // A run that started well makes an error of an earlier one stale.
    connect(run_, &RunData::runStarted, this, [this] {
        if (banner_->isVisible() && banner_->kind() == MessageBanner::Kind::Error) banner_->hide();
    });
    connect(controller_, &EngineController::busyChanged, this, &MainWindow::onBusyChanged);
    connect(controller_, &EngineController::backendInfo, this, &MainWindow::onBackendInfo);
}

void MainWindow::addView(const QString& title, QWidget* view) {
    view->setObjectName(view->objectName().isEmpty() ? title : view->objectName());
    tabs_->addTab(view, title);
}

QDockWidget* MainWindow::addDockView(const QString& title, QWidget* view, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(QStringLiteral("dock_%1").arg(title.toLower().replace(' ', '_')));
    dock->setWidget(view);
    addDockWidget(area, dock);
    view_menu_->addAction(dock->toggleViewAction());
    return dock;
}

QList<QDockWidget*> MainWindow::docks() const { return findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly); }

void MainWindow::restoreLayout() {
    default_state_ = saveState();
    QSettings settings;
    restoreGeometry(settings.value("mainWindow/geometry").toByteArray());
    restoreState(settings.value("mainWindow/state").toByteArray());
    fitToScreen();
}

void MainWindow::fitToScreen() {
    // A geometry saved on a larger screen (or a default larger than this one) would put the
    // status bar below the bottom edge: shrink into the available area and move inside it.
    const QScreen* s = screen();
    if (!s) return;
    const QRect available = s->availableGeometry();
    const QSize frame = frameGeometry().size() - geometry().size();
    const QSize fits = size().boundedTo(available.size() - frame).expandedTo(minimumSize());
    if (fits != size()) resize(fits);
    QRect outer = frameGeometry();
    if (!available.contains(outer)) {
        outer.moveLeft(std::clamp(outer.left(), available.left(), std::max(available.left(), available.right() - outer.width() + 1)));
        outer.moveTop(std::clamp(outer.top(), available.top(), std::max(available.top(), available.bottom() - outer.height() + 1)));
        move(outer.topLeft());
    }
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!fitted_) {
        fitted_ = true;
        fitToScreen();  // the screen is known for certain once shown
    }
}

void MainWindow::resetLayout() {
    restoreState(default_state_);
    for (QDockWidget* d : docks()) d->show();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("mainWindow/geometry", saveGeometry());
    settings.setValue("mainWindow/state", saveState());
    controller_->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    const QString path = urls.first().toLocalFile();
    const QFileInfo info(path);
    const bool needs_tokenizer = info.isFile() && !info.suffix().compare("bin", Qt::CaseInsensitive);
    loadModel(path, needs_tokenizer ? tokenizer_beside(path) : QString());
    event->acceptProposedAction();
}

void MainWindow::setDiscoveryRoots(const DiscoveryRoots& roots) { model_panel_->setDiscoveryRoots(roots); }

void MainWindow::loadModel(const QString& path, const QString& tokenizer) {
    loading_ = true;
    pending_path_ = path;
    pending_tokenizer_ = tokenizer;
    banner_->hide();
    showStatus(tr("Loading %1\u2026").arg(QFileInfo(path).fileName()));
    controller_->loadModel(path, tokenizer);
}

void MainWindow::loadSynthetic(const QString& preset, int layers) {
    loading_ = true;
    pending_path_.clear();
    banner_->hide();
    showStatus(tr("Building synthetic %1\u2026").arg(preset));
    controller_->loadSynthetic(preset, layers);
}

void MainWindow::onModelLoaded(const ModelInfo& info) {
    loading_ = false;
    model_loaded_ = true;
    if (!pending_path_.isEmpty()) model_panel_->addRecent(pending_path_, pending_tokenizer_);
    model_panel_->showModel(info);
    generation_panel_->setContextLength(info.context);
    // A prompt nobody chose (the last model's default) becomes this model's default.
    if (generation_panel_->settings().prompt == default_prompt_) {
        generation_panel_->setPrompt(info.default_prompt);
        default_prompt_ = info.default_prompt;
    }
    setWindowTitle(QStringLiteral("kvscope \u2014 %1").arg(info.name));
    showStatus(tr("Loaded %1").arg(info.name), 5000);
    resetRun();
    emit modelReady(info);
}

void MainWindow::showStatus(const QString& message, int timeout_ms) {
    // The message gets the room left of the permanent labels (device, speed, cache) and is
    // shortened to it, so that it never runs under them; the whole text is the tooltip.
    int room = statusBar()->width() - 24;
    for (const QLabel* label : {device_label_, speed_label_, cache_label_})
        if (label && label->isVisible()) room -= label->width() + 12;
    const QString shown = statusBar()->fontMetrics().elidedText(message, Qt::ElideRight, std::max(80, room));
    statusBar()->showMessage(shown, timeout_ms);
    statusBar()->setToolTip(shown == message ? QString() : message);
}

void MainWindow::showError(const QString& message) {
    banner_->showMessage(message, MessageBanner::Kind::Error);
    showStatus(message, 10000);
    if (loading_) {
        loading_ = false;
        if (load_error_dialogs_) {
            auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not load the model"), message,
                                        QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();  // non-modal for the event loop: the window stays alive behind it
        }
    }
}

void MainWindow::onBackendInfo(const QString& name, const QString& device, const QString& fallback_reason) {
    device_label_->setText(QStringLiteral("%1: %2").arg(name, device));
    device_label_->setToolTip(fallback_reason.isEmpty() ? device : tr("Fell back to the CPU: %1").arg(fallback_reason));
    if (!fallback_reason.isEmpty())
        banner_->showMessage(tr("Vulkan is not available, running on the CPU instead: %1").arg(fallback_reason),
                             MessageBanner::Kind::Warning);
}

void MainWindow::onBusyChanged(bool busy) {
    busy_ = busy;
    if (!busy) running_ = false;
    updateActions();
}

void MainWindow::onSettingsChanged() {
    if (!model_loaded_) return;
    if (run_->steps().empty()) {
        reconfigure_timer_->start();  // nothing computed yet: apply at once
    } else {
        settings_dirty_ = true;
        showStatus(tr("Settings changed: Reset (Ctrl+R) starts a run with them."), 8000);
    }
}

bool MainWindow::ensureRun() {
    if (!model_loaded_) {
        showError(tr("No model is loaded: open one (Ctrl+O), drop a file on the window or pick a synthetic preset."));
        return false;
    }
    if (!run_configured_) resetRun();
    return true;
}

void MainWindow::resetRun() {
    if (!model_loaded_) return;
    running_ = false;
    prefill_requested_ = false;
    settings_dirty_ = false;
    reconfigure_timer_->stop();
    banner_->hide();
    statusBar()->clearMessage();  // "Settings changed: Reset ..." and the like are answered now
    run_->clear();
    controller_->configure(generation_panel_->settings());
    run_configured_ = true;
    updateActions();
}

void MainWindow::prefill() {
    // The prefill of this run may already be on its way (its step not back yet): a second press
    // is ignored rather than sent to an engine that would refuse it.
    if (prefill_requested_) return;
    if (!ensureRun()) return;
    if (!run_->steps().empty()) {
        showStatus(tr("The prompt is already prefilled: Step or Run go on, Reset starts over."), 5000);
        return;
    }
    prefill_requested_ = true;
    controller_->prefill();
    updateActions();
}

void MainWindow::step() {
    if (!ensureRun()) return;
    prefill_requested_ = true;  // a first step runs the prefill
    controller_->step();
    updateActions();
}

void MainWindow::runOrPause() {
    if (running_) {
        controller_->pause();
        showStatus(tr("Paused: Run (F8) goes on, Step (F10) advances one token."), 5000);
        return;
    }
    if (!ensureRun()) return;
    int generated = 0;
    for (const auto& t : run_->tokens()) generated += t.is_prompt ? 0 : 1;
    const int remaining = generation_panel_->maxNewTokens() - generated;
    if (remaining <= 0 || run_->finished()) {
        showStatus(tr("This run is complete: Reset (Ctrl+R) starts a new one."), 5000);
        return;
    }
    running_ = true;
    prefill_requested_ = true;
    controller_->run(remaining);
    updateActions();
}

void MainWindow::updateActions() {
    run_action_->setText(running_ ? tr("Pause") : tr("Run"));
    // The two icons are made once (run_icon_, pause_icon_): a fresh QIcon per call would add its
    // generated (disabled, active) pixmaps to QPixmapCache under new keys every time, growing
    // memory until the cache's 10 MiB limit (kvscope-cli soak --loads showed it).
    if (run_icon_.isNull()) {
        run_icon_ = style()->standardIcon(QStyle::SP_MediaPlay);
        pause_icon_ = style()->standardIcon(QStyle::SP_MediaPause);
    }
    run_action_->setIcon(running_ ? pause_icon_ : run_icon_);
    // While the engine works on a request, only Pause (the run action of a running run) and
    // Reset stay available; presses that would queue behind the work are not possible.
    // A run that could not start (a prompt longer than the context) offers nothing to do until
    // the settings change or Reset.
    const bool idle = model_loaded_ && !busy_ && !running_ && run_->hasRun();
    const bool finished = run_->finished().has_value();
    prefill_action_->setEnabled(idle && !prefill_requested_ && run_->steps().empty() && !finished);
    step_action_->setEnabled(idle && !finished);
    run_action_->setEnabled(model_loaded_ && (running_ || (idle && !finished)));
    reset_action_->setEnabled(model_loaded_);
}

void MainWindow::updateStatus() {
    int decode_steps = 0;
    double decode_ms = 0.0;
    for (const auto& s : run_->steps()) {
        if (s.phase != kvs::Phase::Decode) continue;
        ++decode_steps;
        decode_ms += s.wall_ms;
    }
    speed_label_->setText(decode_steps > 0 && decode_ms > 0.0
                              ? tr("%1 tokens/s").arg(decode_steps / (decode_ms / 1000.0), 0, 'f', 1)
                              : tr("\u2013 tokens/s"));
    // The allocator's figures: blocks held by the sequences against the formula for their tokens.
    const PoolTracker& pool = run_->pool();
    if (pool.history().empty()) {
        cache_label_->setText(tr("KV cache: empty"));
    } else {
        const kvs::KvPoolUsage& u = pool.usage();
        cache_label_->setText(tr("KV cache: %1 blocks = %2 held (formula %3) of %4")
                                  .arg(u.used_blocks)
                                  .arg(human_bytes(u.bytes_held), human_bytes(u.formula_bytes), human_bytes(u.pool_bytes)));
    }
}

QStringList MainWindow::saveScreenshots(const QString& dir) {
    QDir().mkpath(dir);
    QStringList written;
    auto slug = [](QString s) {
        s = s.toLower();
        for (QChar& c : s)
            if (!c.isLetterOrNumber()) c = '_';
        return s;
    };
    auto save = [&](const QPixmap& pixmap, const QString& name) {
        const QString path = QDir(dir).filePath(name + ".png");
        if (pixmap.save(path)) written << path;
    };
    // A tab brought to the front redraws what it skipped while hidden, lays its charts out
    // again and (the cache inspector) asks the engine for data: let that land before the grab.
    const int current = tabs_->currentIndex();
    for (int i = 0; i < tabs_->count(); ++i) {
        tabs_->setCurrentIndex(i);
        QWidget* page = tabs_->widget(i);
        settle_events(400);
        save(page->grab(), "tab_" + slug(tabs_->tabText(i)));
    }
    tabs_->setCurrentIndex(current);
    for (QDockWidget* dock : docks())
        if (dock->isVisible()) save(dock->grab(), "dock_" + slug(dock->windowTitle()));
    QApplication::processEvents();
    save(grab(), "window");
    return written;
}

}  // namespace kvs::ui
