#include "token_list_model.h"

#include "run_data.h"

namespace kvs::ui {

TokenListModel::TokenListModel(RunData* run, QObject* parent) : QAbstractListModel(parent), run_(run) {
    rows_ = int(run_->tokens().size());
    selected_step_ = run_->selectedStep();
    connect(run_, &RunData::cleared, this, &TokenListModel::syncRows);
    connect(run_, &RunData::runStarted, this, &TokenListModel::syncRows);
    connect(run_, &RunData::stepsAppended, this, &TokenListModel::syncRows);
    connect(run_, &RunData::selectionChanged, this, &TokenListModel::onSelectionChanged);
}

int TokenListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }

void TokenListModel::syncRows() {
    const int now = int(run_->tokens().size());
    if (now == rows_) return;
    if (now > rows_) {
        // RunData only ever appends tokens, so growth is an insertion at the end.
        beginInsertRows({}, rows_, now - 1);
        rows_ = now;
        endInsertRows();
    } else {
        beginResetModel();
        rows_ = now;
        endResetModel();
    }
}

void TokenListModel::onSelectionChanged() {
    const int old_step = selected_step_;
    selected_step_ = run_->selectedStep();
    if (old_step == selected_step_ || rows_ == 0) return;
    // Tokens of a step are contiguous, but the prompt (step 0) spans many rows: refresh all.
    emit dataChanged(index(0), index(rows_ - 1), {SelectedStepRole, Qt::BackgroundRole});
}

QString TokenListModel::readableText(const TokenInfo& token) {
    const QString text = token.text.isEmpty() ? token.label : token.text;
    // Byte tokens of printable ASCII ("<0x20>") stand for their character. Called for every chip
    // on every layout, so no regular expression here.
    if (text.size() == 6 && text.startsWith(QLatin1String("<0x")) && text.endsWith('>')) {
        bool ok = false;
        const int value = QStringView(text).mid(3, 2).toInt(&ok, 16);
        if (ok && ((value >= 0x20 && value < 0x7f) || value == '\n' || value == '\t')) return QString(QChar(value));
    }
    return text;
}

bool TokenListModel::isControlToken(const TokenInfo& token) {
    // "<s>", "</s>", "<|endoftext|>", also wrapped in newlines as llama2.c's BOS ("\n<s>\n").
    const QString text = readableText(token).trimmed();
    return text.size() > 2 && text.startsWith('<') && text.endsWith('>') && !text.startsWith("<0x");
}

QString TokenListModel::chipText(const TokenInfo& token) {
    const QString text = readableText(token);
    if (text.isEmpty()) return QStringLiteral("<%1>").arg(token.id);
    QString shown;
    for (const QChar c : text) {
        if (c == '\n') shown += QChar(0x21B5);       // ↵
        else if (c == '\t') shown += QChar(0x2192);  // →
        else if (c == ' ') shown += QChar(0x00B7);   // ·
        else if (c.unicode() < 0x20) shown += QStringLiteral("<0x%1>").arg(int(c.unicode()), 2, 16, QChar('0'));
        else shown += c;
    }
    return shown;
}

QString TokenListModel::toolTip(const TokenInfo& token) {
    QString tip = QStringLiteral("<b>%1</b><br>id %2 &middot; position %3<br>")
                      .arg(chipText(token).toHtmlEscaped())
                      .arg(token.id)
                      .arg(token.position);
    if (token.is_prompt) {
        tip += QStringLiteral("prompt token (prefill, step 0)");
        return tip;
    }
    tip += QStringLiteral("sampled in step %1 (%2)").arg(token.step).arg(token.step == 0 ? "prefill" : "decode");
    if (!token.top.empty()) {
        tip += QStringLiteral("<table>");
        for (std::size_t i = 0; i < token.top.size() && i < 5; ++i) {
            const auto& p = token.top[i];
            const QString label = QString::fromStdString(p.label).toHtmlEscaped();
            const bool chosen = p.id == token.id;
            tip += QStringLiteral("<tr><td>%1%2%3</td><td align=right>%4</td><td align=right>%5%</td></tr>")
                       .arg(chosen ? "<b>" : "", label.isEmpty() ? QString::number(p.id) : label, chosen ? "</b>" : "")
                       .arg(p.id)
                       .arg(double(p.probability) * 100.0, 0, 'f', 1);
        }
        tip += QStringLiteral("</table>");
    }
    return tip;
}

QVariant TokenListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const auto& tokens = run_->tokens();
    if (index.row() >= int(tokens.size())) return {};
    const TokenInfo& t = tokens[std::size_t(index.row())];
    switch (role) {
        case Qt::DisplayRole: return chipText(t);
        case Qt::ToolTipRole: return toolTip(t);
        case TokenIdRole: return t.id;
        case PositionRole: return t.position;
        case StepRole: return t.step;
        case IsPromptRole: return t.is_prompt;
        case SelectedStepRole: return t.step == selected_step_;
        case TopProbabilityRole:
            for (const auto& p : t.top)
                if (p.id == t.id) return double(p.probability);
            return -1.0;
        default: return {};
    }
}

QHash<int, QByteArray> TokenListModel::roleNames() const {
    auto names = QAbstractListModel::roleNames();
    names[TokenIdRole] = "tokenId";
    names[PositionRole] = "position";
    names[StepRole] = "step";
    names[IsPromptRole] = "isPrompt";
    names[TopProbabilityRole] = "topProbability";
    names[SelectedStepRole] = "selectedStep";
    return names;
}

}  // namespace kvs::ui
