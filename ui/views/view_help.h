#pragma once
// Small pieces every view shares: the "?" label that explains a chart, and a redraw
// coalescer so that hundreds of fast steps cause a few repaints instead of hundreds.
#include <QLabel>
#include <QLayout>
#include <QObject>
#include <QTimer>
#include <functional>

namespace kvs::ui {

// A round "?" label whose tooltip holds `text`; the same text becomes the whatsThis of `target`
// (when given) so Shift+F1 works on the chart itself. A click opens the section `section` of
// docs/VIEWS.md in the documentation browser (the label's "docsSection" property).
QLabel* make_help_label(const QString& text, QWidget* parent, QWidget* target = nullptr, const QString& section = {});

// `content` with its "?" label at the top right (the label opens `section` of docs/VIEWS.md).
QWidget* with_help_label(QWidget* content, const QString& help, const QString& section);

// Marks a widget as one of a view's controls (check boxes, lists, the "?" labels): exports and
// the presentation mode leave it out, so that a picture shows the chart alone, as on screen.
void mark_as_control(QWidget* widget);
bool is_control(const QWidget* widget);
// A row of controls as one marked widget.
QWidget* control_bar(QLayout* row);

// Calls `redraw` once, `delay_ms` after the first request of a burst. When the parent is a
// widget in a shown window but is itself hidden (a tab not in front), the redraw waits until it
// is shown: a view nobody sees costs nothing while a run streams in.
class RedrawCoalescer : public QObject {
    Q_OBJECT
public:
    RedrawCoalescer(std::function<void()> redraw, QObject* parent, int delay_ms = 30);
    void request();
    // Runs a pending redraw now, shown or not (export and tests need the picture up to date).
    void flush();
    // Drops a pending redraw.
    void cancel() {
        timer_->stop();
        stale_ = false;
    }
    bool pending() const { return timer_->isActive() || stale_; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fire();

    std::function<void()> redraw_;
    QTimer* timer_;  // a child, so that its events are the view's
    QWidget* owner_ = nullptr;
    bool stale_ = false;  // a redraw was skipped while the owner was hidden
};

}  // namespace kvs::ui
