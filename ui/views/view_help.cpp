#include "views/view_help.h"
#include <QBoxLayout>
#include <QEvent>

#include "docs_browser.h"

namespace kvs::ui {

namespace {
// Turns a click on a label into a call.
class ClickFilter : public QObject {
public:
    ClickFilter(std::function<void()> fn, QObject* parent) : QObject(parent), fn_(std::move(fn)) {}

protected:
    bool eventFilter(QObject*, QEvent* event) override {
        if (event->type() != QEvent::MouseButtonRelease) return false;
        fn_();
        return true;
    }

private:
    std::function<void()> fn_;
};
}  // namespace

QLabel* make_help_label(const QString& text, QWidget* parent, QWidget* target, const QString& section) {
    auto* label = new QLabel(QStringLiteral("?"), parent);
    label->setToolTip(section.isEmpty() ? text
                                        : text + QObject::tr("\n\nClick for this view's page of the documentation."));
    if (!section.isEmpty()) {
        label->setProperty("docsSection", section);
        label->installEventFilter(new ClickFilter([label, section] { DocsBrowser::showSection(label, "VIEWS.md", section); }, label));
        label->setCursor(Qt::PointingHandCursor);
    }
    label->setAlignment(Qt::AlignCenter);
    label->setFixedSize(18, 18);
    label->setStyleSheet(QStringLiteral(
        "QLabel { border: 1px solid palette(mid); border-radius: 9px; font-weight: bold; color: palette(dark); }"));
    if (section.isEmpty()) label->setCursor(Qt::WhatsThisCursor);
    mark_as_control(label);
    if (target) {
        target->setWhatsThis(text);
        target->setToolTip(text);
    }
    return label;
}

void mark_as_control(QWidget* widget) { widget->setProperty("kvscopeControl", true); }

bool is_control(const QWidget* widget) { return widget->property("kvscopeControl").toBool(); }

QWidget* with_help_label(QWidget* content, const QString& help, const QString& section) {
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(content, 1);
    layout->addWidget(make_help_label(help, box, content, section), 0, Qt::AlignTop);
    return box;
}

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
