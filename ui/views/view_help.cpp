#include "views/view_help.h"

namespace kvs::ui {

QLabel* make_help_label(const QString& text, QWidget* parent, QWidget* target) {
    auto* label = new QLabel(QStringLiteral("?"), parent);
    label->setToolTip(text);
    label->setAlignment(Qt::AlignCenter);
    label->setFixedSize(18, 18);
    label->setStyleSheet(QStringLiteral(
        "QLabel { border: 1px solid palette(mid); border-radius: 9px; font-weight: bold; color: palette(dark); }"));
    label->setCursor(Qt::WhatsThisCursor);
    if (target) {
        target->setWhatsThis(text);
        target->setToolTip(text);
    }
    return label;
}

RedrawCoalescer::RedrawCoalescer(std::function<void()> redraw, QObject* parent, int delay_ms)
    : QObject(parent), redraw_(std::move(redraw)) {
    timer_.setSingleShot(true);
    timer_.setInterval(delay_ms);
    connect(&timer_, &QTimer::timeout, this, [this] { redraw_(); });
}

void RedrawCoalescer::request() {
    if (!timer_.isActive()) timer_.start();
}

void RedrawCoalescer::flush() {
    timer_.stop();
    redraw_();
}

}  // namespace kvs::ui
