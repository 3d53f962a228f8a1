#pragma once
// KV cache memory for any model shape: pick a preset or type the numbers; the formula is
// written out with them filled in, the result given in bytes and in human units.
#include <QWidget>
#include <cstdint>

class QComboBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace kvs {
struct KvStorageType;
}

namespace kvs::ui {

class MemoryCalculatorView : public QWidget {
    Q_OBJECT
public:
    explicit MemoryCalculatorView(QWidget* parent = nullptr);

    // Fills the fields from a preset ("llama-2-7b"); false when there is no such preset.
    bool selectPreset(const QString& name);
    void setShape(int layers, int kv_heads, int head_dim);
    void setTokens(int tokens);
    void setBatch(int batch);
    // "f32", "f16", "bf16", "q8_0", "fp8", "int4"; false when unknown.
    bool setDtype(const QString& name);

    std::int64_t totalBytes() const { return total_bytes_; }
    std::int64_t bytesPerToken() const { return bytes_per_token_; }
    QString formulaText() const;
    QString resultText() const;
    // The table of every preset at the same tokens, batch and type.
    QTableWidget* comparisonTable() const { return comparison_; }

private:
    void recompute();
    void onPresetChosen(int index);
    void fillComparison(const kvs::KvStorageType& type);

    QComboBox* preset_ = nullptr;
    QSpinBox* layers_ = nullptr;
    QSpinBox* kv_heads_ = nullptr;
    QSpinBox* head_dim_ = nullptr;
    QComboBox* dtype_ = nullptr;
    QSpinBox* tokens_ = nullptr;
    QSpinBox* batch_ = nullptr;
    QLabel* formula_ = nullptr;
    QLabel* result_ = nullptr;
    QLabel* note_ = nullptr;
    QTableWidget* comparison_ = nullptr;
    QLabel* comparison_title_ = nullptr;
    std::int64_t total_bytes_ = 0;
    std::int64_t bytes_per_token_ = 0;
    bool applying_preset_ = false;
};

}  // namespace kvs::ui
