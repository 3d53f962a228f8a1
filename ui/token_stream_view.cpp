#include "token_stream_view.h"

#include <QLabel>
#include <QListView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "run_data.h"
#include "token_chip_delegate.h"
#include "token_list_model.h"

namespace kvs::ui {

TokenStreamView::TokenStreamView(RunData* run, QWidget* parent)
    : QWidget(parent), run_(run), model_(new TokenListModel(run, this)) {
    summary_ = new QLabel(this);
    summary_->setTextFormat(Qt::RichText);
    summary_->setToolTip(tr("Blue chips are the prompt (computed in one prefill pass); green chips were generated one "
                            "decode step at a time. Paler green: the model gave the sampled token a lower probability. "
                            "Hover a chip for its id, position and the top-5 distribution; click it to select its step."));

    list_ = new QListView(this);
    list_->setModel(model_);
    list_->setItemDelegate(new TokenChipDelegate(list_));
    list_->setViewMode(QListView::ListMode);
    list_->setFlow(QListView::LeftToRight);
    list_->setWrapping(true);
    list_->setResizeMode(QListView::Adjust);
    list_->setLayoutMode(QListView::Batched);  // lays out long streams in slices, keeping the GUI responsive
    list_->setBatchSize(200);
    list_->setSpacing(2);
    list_->setUniformItemSizes(false);
    list_->setMouseTracking(true);
    list_->setSelectionMode(QAbstractItemView::NoSelection);  // the selected step is drawn by the delegate
    list_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(list_, &QListView::clicked, this, &TokenStreamView::onChipClicked);

    text_ = new QTextBrowser(this);
    text_->setMaximumHeight(64);
    text_->setToolTip(tr("The decoded text: prompt in grey, generated text in black."));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(summary_);
    layout->addWidget(list_, 1);
    layout->addWidget(text_);

    connect(run_, &RunData::cleared, this, &TokenStreamView::scheduleTextUpdate);
    connect(run_, &RunData::runStarted, this, &TokenStreamView::scheduleTextUpdate);
    connect(run_, &RunData::stepsAppended, this, &TokenStreamView::scheduleTextUpdate);
    connect(run_, &RunData::selectionChanged, this, &TokenStreamView::onSelectionChanged);
    // Scrolling lays out every chip at once, so new tokens are followed at most every 100 ms.
    auto* follow = new QTimer(this);
    follow->setSingleShot(true);
    follow->setInterval(100);
    connect(follow, &QTimer::timeout, list_, &QListView::scrollToBottom);
    connect(model_, &QAbstractItemModel::rowsInserted, follow, [follow] {
        if (!follow->isActive()) follow->start();
    });
    updateText();
}

void TokenStreamView::onChipClicked(const QModelIndex& index) {
    if (!index.isValid()) return;
    run_->setSelectedStep(index.data(TokenListModel::StepRole).toInt());
}

void TokenStreamView::onSelectionChanged() {
    const int step = run_->selectedStep();
    const auto& tokens = run_->tokens();
    // Show the token the selected step produced (for the prefill: the first generated token).
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!tokens[i].is_prompt && tokens[i].step == step) {
            list_->scrollTo(model_->index(int(i)));
            break;
        }
    }
    list_->viewport()->update();
    scheduleTextUpdate();
}

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
    int prompt = 0;
    QString prompt_text, generated_text;
    for (const auto& t : tokens) {
        if (t.is_prompt) ++prompt;
        if (TokenListModel::isControlToken(t)) continue;
        (t.is_prompt ? prompt_text : generated_text) += TokenListModel::readableText(t);
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
    summary_->setText(summary);
    text_->setHtml(QStringLiteral("<span style='color:#777'>%1</span><span>%2</span>")
                       .arg(prompt_text.toHtmlEscaped(), generated_text.toHtmlEscaped()));
}

}  // namespace kvs::ui
