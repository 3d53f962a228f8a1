#include "token_stream_view.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "run_data.h"
#include "token_chip_delegate.h"
#include "token_flow_view.h"
#include "token_list_model.h"

namespace kvs::ui {

TokenStreamView::TokenStreamView(RunData* run, QWidget* parent)
    : QWidget(parent), run_(run), model_(new TokenListModel(run, this)) {
    summary_ = new QLabel(this);
    summary_->setTextFormat(Qt::RichText);
    summary_->setToolTip(tr("Blue chips are the prompt (computed in one prefill pass); green chips were generated one "
                            "decode step at a time. Paler green: the model gave the sampled token a lower probability. "
                            "Hover a chip for its id, position and the top-5 distribution; click it to select its step."));

    chips_ = new TokenFlowView(this);
    chips_->setItemDelegate(new TokenChipDelegate(chips_));
    chips_->setModel(model_);
    connect(chips_, &TokenFlowView::clicked, this, &TokenStreamView::onChipClicked);

    text_ = new QTextBrowser(this);
    text_->setMaximumHeight(64);
    text_->setToolTip(tr("The decoded text: prompt in grey, generated text in black. A long text shows its end; "
                         "the context menu copies all of it."));
    text_->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* copy_all = new QAction(tr("Copy the whole text"), text_);
    connect(copy_all, &QAction::triggered, this, &TokenStreamView::copyText);
    text_->addAction(copy_all);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(summary_);
    layout->addWidget(chips_, 1);
    layout->addWidget(text_);

    connect(run_, &RunData::cleared, this, [this] {
        prompt_text_.clear();
        generated_text_.clear();
        text_tokens_ = 0;
        scheduleTextUpdate();
    });
    connect(run_, &RunData::runStarted, this, &TokenStreamView::scheduleTextUpdate);
    connect(run_, &RunData::stepsAppended, this, &TokenStreamView::scheduleTextUpdate);
    // The run's end can come in a batch of its own, after the last step's text was written.
    connect(run_, &RunData::runFinished, this, &TokenStreamView::scheduleTextUpdate);
    connect(run_, &RunData::selectionChanged, this, &TokenStreamView::onSelectionChanged);
    updateText();
}

void TokenStreamView::onChipClicked(int row) {
    if (row < 0 || row >= int(run_->tokens().size())) return;
    run_->setSelectedStep(run_->tokens()[std::size_t(row)].step);
}

void TokenStreamView::onSelectionChanged() {
    const int step = run_->selectedStep();
    const auto& tokens = run_->tokens();
    // Show the token the selected step produced (for the prefill: the first generated token).
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!tokens[i].is_prompt && tokens[i].step == step) {
            chips_->scrollTo(int(i));
            break;
        }
    }
    chips_->viewport()->update();
    scheduleTextUpdate();
}

void TokenStreamView::copyText() { QApplication::clipboard()->setText(decodedText()); }

void TokenStreamView::scheduleTextUpdate() {
    // Fast runs deliver hundreds of steps a second; the text is rebuilt at most every 50 ms.
    if (text_update_pending_) return;
    text_update_pending_ = true;
    QTimer::singleShot(50, this, [this] {
        text_update_pending_ = false;
        updateText();
    });
}

void TokenStreamView::updateText() {
    const auto& tokens = run_->tokens();
    if (int(tokens.size()) < text_tokens_) {  // a new or cleared run
        prompt_text_.clear();
        generated_text_.clear();
        text_tokens_ = 0;
    }
    int prompt = 0;
    for (const auto& t : tokens) {
        if (!t.is_prompt) break;
        ++prompt;
    }
    for (; text_tokens_ < int(tokens.size()); ++text_tokens_) {
        const TokenInfo& t = tokens[std::size_t(text_tokens_)];
        if (TokenListModel::isControlToken(t)) continue;
        (t.is_prompt ? prompt_text_ : generated_text_) += TokenListModel::readableText(t);
    }
    const int generated = int(tokens.size()) - prompt;
    QString summary = tr("<b>%1</b> tokens: <span style='background:%2'>&nbsp;%3 prompt&nbsp;</span> "
                         "<span style='background:%4'>&nbsp;%5 generated&nbsp;</span>")
                          .arg(tokens.size())
                          .arg(TokenChipDelegate::promptColor().name())
                          .arg(prompt)
                          .arg(TokenChipDelegate::generatedColor(1.0).name())
                          .arg(generated);
    if (run_->selectedStep() >= 0) summary += tr(" &middot; selected step <b>%1</b>").arg(run_->selectedStep());
    if (const auto finished = run_->finished())
        summary += tr(" &middot; finished: %1").arg(QString::fromStdString(finished->stop_reason).toHtmlEscaped());
    if (summary_->text() != summary) summary_->setText(summary);
    // A long text shows its last kShownText characters, so the pane costs the same at any length.
    QString shown_prompt = prompt_text_, shown_generated = generated_text_;
    QString cut;
    if (shown_prompt.size() + shown_generated.size() > kShownText) {
        cut = QStringLiteral("\u2026");
        if (shown_generated.size() >= kShownText) {
            shown_prompt.clear();
            shown_generated = shown_generated.right(kShownText);
        } else {
            shown_prompt = shown_prompt.right(kShownText - shown_generated.size());
        }
    }
    const QString html = QStringLiteral("<span style='color:#777'>%1%2</span><span>%3</span>")
                             .arg(cut, shown_prompt.toHtmlEscaped(), shown_generated.toHtmlEscaped());
    if (html == shown_html_) return;
    shown_html_ = html;
    text_->setHtml(html);
    if (!cut.isEmpty()) text_->moveCursor(QTextCursor::End);
}

}  // namespace kvs::ui
