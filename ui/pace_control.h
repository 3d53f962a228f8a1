#pragma once
// How fast a run goes: full speed, or a pace a class can follow (tokens per second). A small
// model finishes 500 tokens in under a second; at 2 tokens per second every step can be
// watched and talked about. The choice is remembered between sessions.
#include <QComboBox>

namespace kvs::ui {

class PaceControl : public QComboBox {
    Q_OBJECT
public:
    explicit PaceControl(QWidget* parent = nullptr);
    // Milliseconds between two steps (0 = full speed).
    int paceMs() const;
    void setPaceMs(int ms);
    // One notch slower or faster.
    void slower();
    void faster();

signals:
    void paceChanged(int ms_per_step);
};

}  // namespace kvs::ui
