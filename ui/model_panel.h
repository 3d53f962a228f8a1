#pragma once
// Choosing a model: open a file or a Hugging Face folder, recent models, models found on disk
// and synthetic presets; shows the loaded model's shape and its KV cost per token.
#include <QWidget>

#include "engine_types.h"
#include "model_discovery.h"

class QLabel;
class QLineEdit;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace kvs::ui {

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);

    // Recent models live in QSettings ("recentModels": a list of {path, tokenizer}).
    void addRecent(const QString& path, const QString& tokenizer);
    QStringList recentPaths() const;
    void setDiscoveryRoots(const DiscoveryRoots& roots);
    void rescan();
    void showModel(const ModelInfo& info);
    // Items of each group, for tests.
    int discoveredCount() const;
    int syntheticCount() const;
    // The loaded model's summary as shown (rich text), for tests.
    QString summaryText() const;

public slots:
    void openFileDialog();
    void openFolderDialog();

signals:
    void loadModelRequested(const QString& path, const QString& tokenizer);
    void loadSyntheticRequested(const QString& preset, int layers);

private:
    void activate(QTreeWidgetItem* item);
    void fillRecent();
    void browseTokenizer();

    QLabel* info_;
    QTreeWidget* tree_;
    QTreeWidgetItem* recent_;
    QTreeWidgetItem* found_;
    QTreeWidgetItem* synthetic_;
    QLineEdit* tokenizer_;
    QSpinBox* synthetic_layers_;
    DiscoveryRoots roots_;
};

}  // namespace kvs::ui
