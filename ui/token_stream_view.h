#pragma once
// The token stream: every token of the run as a chip in reading order (prompt, then generated),
// with the decoded text below. Hover shows id, position and the top-5 probabilities; clicking
// a chip selects the step that produced it for every view.
#include <QWidget>

class QLabel;
class QListView;
class QTextBrowser;

namespace kvs::ui {

class RunData;
class TokenListModel;

class TokenStreamView : public QWidget {
    Q_OBJECT
public:
    explicit TokenStreamView(RunData* run, QWidget* parent = nullptr);

    TokenListModel* model() const { return model_; }
    QListView* listView() const { return list_; }

private:
    void onChipClicked(const QModelIndex& index);
    void onSelectionChanged();
    void scheduleTextUpdate();
    void updateText();

    RunData* run_;
    TokenListModel* model_;
    QListView* list_;
    QLabel* summary_;
    QTextBrowser* text_;
    bool text_update_pending_ = false;
};

}  // namespace kvs::ui
