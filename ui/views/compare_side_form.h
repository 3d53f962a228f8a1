#pragma once
// The settings of one side of a comparison of two runs (the Compare view): backend, KV cache or
// none, cache storage, temperature, top-k, top-p and seed.
#include <QGroupBox>

#include "engine_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace kvs::ui {

class CompareSideForm : public QGroupBox {
    Q_OBJECT
public:
    explicit CompareSideForm(const QString& title, QWidget* parent = nullptr);

    CompareSide side() const;
    void setSide(const CompareSide& side);

private:
    QComboBox* backend_;
    QCheckBox* cache_;
    QComboBox* dtype_;
    QDoubleSpinBox* temperature_;
    QSpinBox* top_k_;
    QDoubleSpinBox* top_p_;
    QSpinBox* seed_;
};

}  // namespace kvs::ui
