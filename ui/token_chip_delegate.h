#pragma once
// Paints one token as a rounded chip: prompt and generated tokens on different backgrounds,
// generated chips shaded by the probability the model gave them, the selected step framed.
#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace kvs::ui {

class TokenChipDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

    static QColor promptColor();
    static QColor generatedColor(double probability);  // probability < 0: unknown

private:
    mutable QHash<QString, QStaticText> text_cache_;
};

}  // namespace kvs::ui
