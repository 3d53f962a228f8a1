#include "token_chip_delegate.h"

#include <QPainter>
#include <algorithm>

#include "token_list_model.h"

namespace kvs::ui {

namespace {
constexpr int kPadX = 5;
constexpr int kPadY = 3;
constexpr double kRadius = 4.0;
}  // namespace

QColor TokenChipDelegate::promptColor() { return QColor(0xcf, 0xdc, 0xf0); }

QColor TokenChipDelegate::generatedColor(double probability) {
    // Confident tokens are a full green; unlikely samples fade towards a pale yellow, so a
    // sampled surprise stands out in the stream.
    const QColor confident(0xa8, 0xdc, 0xa0), unsure(0xf6, 0xee, 0xc4);
    if (probability < 0.0) return confident;
    const double t = std::clamp(probability, 0.0, 1.0);
    return QColor::fromRgbF(float(unsure.redF() + (confident.redF() - unsure.redF()) * t),
                            float(unsure.greenF() + (confident.greenF() - unsure.greenF()) * t),
                            float(unsure.blueF() + (confident.blueF() - unsure.blueF()) * t));
}

QSize TokenChipDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const QFontMetrics fm(option.font);
    const QString text = index.data(Qt::DisplayRole).toString();
    return {fm.horizontalAdvance(text) + 2 * kPadX, fm.height() + 2 * kPadY};
}

void TokenChipDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const bool prompt = index.data(TokenListModel::IsPromptRole).toBool();
    const bool selected_step = index.data(TokenListModel::SelectedStepRole).toBool();
    const bool hovered = option.state & QStyle::State_MouseOver;
    QColor fill = prompt ? promptColor() : generatedColor(index.data(TokenListModel::TopProbabilityRole).toDouble());
    if (hovered) fill = fill.lighter(108);

    const QRectF chip = QRectF(option.rect).adjusted(1, 1, -1, -1);
    painter->setBrush(fill);
    painter->setPen(QPen(selected_step ? QColor(0xe0, 0x6c, 0x00) : fill.darker(125), selected_step ? 2.0 : 1.0));
    painter->drawRoundedRect(chip, kRadius, kRadius);

    // Token texts repeat (a vocabulary is a few thousand strings): their laid-out glyphs are kept,
    // so a repaint of a screenful of chips does not shape every text again.
    const QString text = index.data(Qt::DisplayRole).toString();
    auto it = text_cache_.find(text);
    if (it == text_cache_.end()) {
        if (text_cache_.size() > 8192) text_cache_.clear();
        QStaticText laid_out(text);
        laid_out.setTextFormat(Qt::PlainText);
        laid_out.prepare(QTransform(), option.font);
        it = text_cache_.insert(text, laid_out);
    }
    painter->setFont(option.font);
    painter->setPen(option.palette.color(QPalette::Text).value() > 128 ? Qt::black : option.palette.color(QPalette::Text));
    const QSizeF size = it->size();
    painter->drawStaticText(QPointF(chip.center().x() - size.width() / 2, chip.center().y() - size.height() / 2), *it);
    painter->restore();
}

}  // namespace kvs::ui
