#include "views/view_help.h"
#include <QEvent>

namespace kvs::ui {

QLabel* make_help_label(const QString& text, QWidget* parent, QWidget* target) {
    auto* label = new QLabel(QStringLiteral("?"), parent);
    label->setToolTip(text);
    label->setAlignment(Qt::AlignCenter);
    label->setFixedSize(18, 18);
    label->setStyleSheet(QStringLiteral(
        "QLabel { border: 1px solid palette(mid); border-radius: 9px; font-weight: bold; color: palette(dark); }"));
    label->setCursor(Qt::WhatsThisCursor);
    mark_as_control(label);
    if (target) {
        target->setWhatsThis(text);
        target->setToolTip(text);
    }
    return label;
}

void mark_as_control(QWidget* widget) { widget->setProperty("kvscopeControl", true); }

bool is_control(const QWidget* widget) { return widget->property("kvscopeControl").toBool(); }

QWidget* control_bar(QLayout* row) {
    auto* bar = new QWidget;
    row->setContentsMargins(0, 0, 0, 0);
    bar->setLayout(row);
    mark_as_control(bar);
    return bar;
}

RedrawCoalescer::RedrawCoalescer(std::function<void()> redraw, QObject* parent_object, int delay_ms)
    : QObject(parent_object), redraw_(std::move(redraw)), timer_(new QTimer(this)),
      owner_(qobject_cast<QWidget*>(parent_object)) {
    timer_->setSingleShot(true);
    timer_->setInterval(delay_ms);
    connect(timer_, &QTimer::timeout, this, &RedrawCoalescer::fire);
    if (owner_) owner_->installEventFilter(this);
}

void RedrawCoalescer::request() {
    if (!timer_->isActive()) timer_->start();
}

void RedrawCoalescer::fire() {
    if (owner_ && owner_->window()->isVisible() && !owner_->isVisible()) {
        stale_ = true;
        return;
    }
    stale_ = false;
    redraw_();
}

void RedrawCoalescer::flush() {
    timer_->stop();
    stale_ = false;
    redraw_();
}

bool RedrawCoalescer::eventFilter(QObject* watched, QEvent* event) {
    // Brought to the front: catch up at once with what arrived while hidden.
    if (watched == owner_ && event->type() == QEvent::Show && stale_) {
        stale_ = false;
        QTimer::singleShot(0, this, &RedrawCoalescer::fire);
    }
    return QObject::eventFilter(watched, event);
}

}  // namespace kvs::ui
