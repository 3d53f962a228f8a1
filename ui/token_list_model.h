#pragma once
// The tokens of the run (prompt, then generated) as a flat list model over RunData::tokens().
// Rows are appended as steps arrive; a cleared run resets the model.
#include <QAbstractListModel>

namespace kvs::ui {

class RunData;
struct TokenInfo;

class TokenListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        TokenIdRole = Qt::UserRole + 1,  // int
        PositionRole,                    // int
        StepRole,                        // int: the step that produced the token (prompt: 0)
        IsPromptRole,                    // bool
        TopProbabilityRole,              // double: probability of the sampled token, -1 if unknown
        SelectedStepRole,                // bool: its step is the run's selected step
    };

    explicit TokenListModel(RunData* run, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // The text a token adds: its text, or its label with printable byte tokens ("<0x20>") decoded.
    static QString readableText(const TokenInfo& token);
    // Control tokens such as <s> and </s>: shown as chips, left out of the decoded text.
    static bool isControlToken(const TokenInfo& token);
    // The text a chip shows: whitespace made visible, control bytes as <0xNN>.
    static QString chipText(const TokenInfo& token);
    // Tooltip: id, position, step and the top-5 distribution the token was sampled from.
    static QString toolTip(const TokenInfo& token);

private:
    void syncRows();
    void onSelectionChanged();

    RunData* run_;
    int rows_ = 0;
    int selected_step_ = -1;
};

}  // namespace kvs::ui
