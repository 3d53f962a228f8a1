#pragma once
// The token stream: every token of the run as a chip in reading order (prompt, then generated),
// with the decoded text below. Hover shows id, position and the top-5 probabilities; clicking
// a chip selects the step that produced it for every view. New tokens cost the same however
// long the run is: chips are placed after the last one, and the text grows by the new pieces
// (a long text shows its end; the context menu copies all of it).
#include <QString>
#include <QWidget>

class QLabel;
class QTextBrowser;

namespace kvs::ui {

class RunData;
class TokenFlowView;
class TokenListModel;

class TokenStreamView : public QWidget {
    Q_OBJECT
public:
    explicit TokenStreamView(RunData* run, QWidget* parent = nullptr);

    TokenListModel* model() const { return model_; }
    TokenFlowView* chips() const { return chips_; }
    // The decoded text of the whole run (the pane shows its last kShownText characters).
    QString decodedText() const { return prompt_text_ + generated_text_; }
    QTextBrowser* textPane() const { return text_; }
    static constexpr int kShownText = 4000;

private:
    void onChipClicked(int row);
    void onSelectionChanged();
    void scheduleTextUpdate();
    void updateText();
    void copyText();

    RunData* run_;
    TokenListModel* model_;
    TokenFlowView* chips_;
    QLabel* summary_;
    QTextBrowser* text_;
    bool text_update_pending_ = false;
    // The text so far, extended by the tokens past text_tokens_ (cleared with the run).
    QString prompt_text_, generated_text_;
    int text_tokens_ = 0;
    QString shown_html_;
};

}  // namespace kvs::ui
