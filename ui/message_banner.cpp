#include "message_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace kvs::ui {

MessageBanner::MessageBanner(QWidget* parent) : QFrame(parent) {
    setObjectName("messageBanner");
    setFrameShape(QFrame::StyledPanel);
    label_ = new QLabel(this);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QToolButton(this);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(label_, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void MessageBanner::showMessage(const QString& text, Kind kind) {
    kind_ = kind;
    const char* colors[] = {"#e4eef9", "#fff4d6", "#fbe3e1"};
    setStyleSheet(QStringLiteral("QFrame#messageBanner { background: %1; border: 1px solid #bbb; border-radius: 3px; }")
                      .arg(colors[int(kind)]));
    label_->setText(text);
    show();
}

QString MessageBanner::text() const { return label_->text(); }

}  // namespace kvs::ui
