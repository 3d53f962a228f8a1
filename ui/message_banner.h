#pragma once
// A non-modal message strip above the views: errors and warnings stay readable without
// blocking the window; the close button (or the next run) dismisses them.
#include <QFrame>

class QLabel;

namespace kvs::ui {

class MessageBanner : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Info, Warning, Error };
    explicit MessageBanner(QWidget* parent = nullptr);

    void showMessage(const QString& text, Kind kind);
    QString text() const;
    Kind kind() const { return kind_; }

private:
    QLabel* label_;
    Kind kind_ = Kind::Info;
};

}  // namespace kvs::ui
