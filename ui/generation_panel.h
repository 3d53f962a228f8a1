#pragma once
// Prompt and run settings: the prompt editor (and more prompts, one sequence each), sampling
// (temperature, top-k, top-p, seed), the number of new tokens, the backend with its device and
// cache type, the KV cache switch, block size and prefix cache, and what attention to capture.
#include <QWidget>

#include "engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace kvs::ui {

class GenerationPanel : public QWidget {
    Q_OBJECT
public:
    explicit GenerationPanel(QWidget* parent = nullptr);

    RunSettings settings() const;
    int maxNewTokens() const;

    void setPrompt(const QString& prompt);
    // More prompts, one sequence each, decoded together with the first in one block pool.
    void setMorePrompts(const QStringList& prompts);
    void setBlockSize(int positions);
    void setPrefixCache(bool on);
    void setBackend(const QString& backend);  // "cpu" or "vulkan"
    void setMaxNewTokens(int n);
    void setContextLength(int positions);     // bounds max new tokens
    void setUseCache(bool on);
    void setSampling(double temperature, int seed);
    void setCaptureMode(kvs::AttentionCapture::Mode mode);

signals:
    void settingsChanged();

private:
    QPlainTextEdit* prompt_;
    QPlainTextEdit* more_prompts_;
    QSpinBox* block_size_;
    QCheckBox* prefix_cache_;
    QDoubleSpinBox* temperature_;
    QSpinBox* top_k_;
    QDoubleSpinBox* top_p_;
    QSpinBox* seed_;
    QSpinBox* max_new_;
    QComboBox* backend_;
    QLineEdit* device_;
    QComboBox* kv_dtype_;
    QCheckBox* use_cache_;
    QComboBox* capture_;
};

}  // namespace kvs::ui
