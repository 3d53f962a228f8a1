#pragma once
// The application window: model and generation settings in docks, the views in a tab widget,
// a toolbar to prefill, step, run/pause and reset, and a status bar with the device, the
// decode speed and the KV cache size. It owns the run's data (RunData) and the engine
// controller; the views are created in one place, add_standard_views() (view_factory.h).
#include <QIcon>
#include <QMainWindow>

#include "engine_types.h"
#include "model_discovery.h"

class QAction;
class QDockWidget;
class QLabel;
class QTabWidget;
class QTimer;

namespace kvs::ui {

class EngineController;
class GenerationPanel;
class MessageBanner;
class ModelPanel;
class RunData;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // A view as a tab of the central area.
    void addView(const QString& title, QWidget* view);
    // A view in its own dock (with a View menu entry), e.g. the token stream.
    QDockWidget* addDockView(const QString& title, QWidget* view, Qt::DockWidgetArea area);

    RunData& runData() { return *run_; }
    EngineController& controller() { return *controller_; }
    ModelPanel* modelPanel() const { return model_panel_; }
    GenerationPanel* generationPanel() const { return generation_panel_; }
    QTabWidget* viewTabs() const { return tabs_; }
    MessageBanner* messageBanner() const { return banner_; }
    QList<QDockWidget*> docks() const;
    QAction* prefillAction() const { return prefill_action_; }
    QAction* stepAction() const { return step_action_; }
    QAction* runAction() const { return run_action_; }
    QAction* resetAction() const { return reset_action_; }
    bool hasModel() const { return model_loaded_; }
    bool isRunning() const { return running_; }

    void setDiscoveryRoots(const DiscoveryRoots& roots);
    // Docks back where they start (View > Reset layout).
    void resetLayout();
    // Load errors pop up a (non-modal) message box unless this is off (tests, screenshots).
    void setLoadErrorDialogs(bool on) { load_error_dialogs_ = on; }

    // Grabs every tab and dock (and the whole window) into PNG files; returns their paths.
    QStringList saveScreenshots(const QString& dir);

public slots:
    void loadModel(const QString& path, const QString& tokenizer = {});
    void loadSynthetic(const QString& preset, int layers = 0);
    void prefill();
    void step();
    void runOrPause();
    // Starts the run over with the current settings (Ctrl+R).
    void resetRun();
    void showError(const QString& message);
    // A status bar message, shortened to the room the permanent labels leave.
    void showStatus(const QString& message, int timeout_ms = 0);

signals:
    void modelReady(const kvs::ui::ModelInfo& info);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void createStatusBar();
    void connectController();
    void restoreLayout();
    void fitToScreen();
    void onModelLoaded(const ModelInfo& info);
    void onBusyChanged(bool busy);
    void onSettingsChanged();
    void onBackendInfo(const QString& name, const QString& device, const QString& fallback_reason);
    void updateStatus();
    void updateActions();
    bool ensureRun();

    RunData* run_;
    EngineController* controller_;
    ModelPanel* model_panel_ = nullptr;
    GenerationPanel* generation_panel_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    MessageBanner* banner_ = nullptr;
    QMenu* view_menu_ = nullptr;
    QAction* prefill_action_ = nullptr;
    QAction* step_action_ = nullptr;
    QAction* run_action_ = nullptr;
    QIcon run_icon_, pause_icon_;
    QAction* reset_action_ = nullptr;
    QLabel* device_label_ = nullptr;
    QLabel* speed_label_ = nullptr;
    QLabel* cache_label_ = nullptr;
    QTimer* status_timer_ = nullptr;
    QTimer* reconfigure_timer_ = nullptr;
    QByteArray default_state_;

    bool model_loaded_ = false;
    bool loading_ = false;
    bool running_ = false;
    bool busy_ = false;
    bool prefill_requested_ = false;  // this run's prefill was sent (by Prefill, Step or Run)
    bool run_configured_ = false;
    bool settings_dirty_ = false;
    bool load_error_dialogs_ = true;
    bool fitted_ = false;
    QString pending_path_, pending_tokenizer_;
    QString default_prompt_ = QStringLiteral("Once upon a time");  // the prompt nobody chose
};

}  // namespace kvs::ui
