#include "docs_browser.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QVBoxLayout>

namespace kvs::ui {

DocsBrowser* DocsBrowser::instance_ = nullptr;

QString DocsBrowser::docsDir() {
    QStringList candidates;
    if (const QString env = qEnvironmentVariable("KVSCOPE_DOCS_DIR"); !env.isEmpty()) candidates << env;
    candidates << QCoreApplication::applicationDirPath() + "/../share/doc/kvscope";
#ifdef KVSCOPE_SOURCE_DOCS_DIR
    candidates << QStringLiteral(KVSCOPE_SOURCE_DOCS_DIR);
#endif
    for (const QString& dir : candidates)
        if (QFile::exists(dir + "/VIEWS.md")) return QDir(dir).canonicalPath();
    return {};
}

DocsBrowser::DocsBrowser(QWidget* parent) : QDialog(parent), browser_(new QTextBrowser(this)) {
    setWindowTitle(tr("kvscope documentation"));
    setAttribute(Qt::WA_DeleteOnClose);
    browser_->setOpenExternalLinks(true);
    browser_->setOpenLinks(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(browser_);
    resize(900, 760);
    instance_ = this;
}

DocsBrowser::~DocsBrowser() {
    if (instance_ == this) instance_ = nullptr;
}

bool DocsBrowser::showSection(QWidget* from, const QString& page, const QString& heading) {
    DocsBrowser* b = instance_ ? instance_ : new DocsBrowser(from ? from->window() : nullptr);
    const bool ok = b->openPage(page, heading);
    b->show();
    b->raise();
    b->activateWindow();
    return ok;
}

bool DocsBrowser::openPage(const QString& page, const QString& heading) {
    shown_heading_.clear();
    const QString dir = docsDir();
    QFile file(dir + "/" + page);
    if (dir.isEmpty() || !file.open(QIODevice::ReadOnly)) {
        browser_->setPlainText(tr("The documentation (%1) was not found. Set KVSCOPE_DOCS_DIR to the docs folder of "
                                  "kvscope's source tree, or read it there.")
                                   .arg(page));
        return false;
    }
    // Relative links and pictures (screenshots/...) resolve against the page's folder.
    browser_->document()->setBaseUrl(QUrl::fromLocalFile(dir + "/"));
    browser_->setSearchPaths({dir});
    browser_->document()->setMarkdown(QString::fromUtf8(file.readAll()));
    setWindowTitle(tr("kvscope documentation: %1").arg(page));
    browser_->verticalScrollBar()->setValue(0);
    if (heading.isEmpty()) return true;
    // A heading is a block of its own with a heading level: scroll it to the top.
    for (QTextBlock block = browser_->document()->begin(); block.isValid(); block = block.next()) {
        if (block.blockFormat().headingLevel() == 0 || block.text().trimmed() != heading) continue;
        QTextCursor cursor(block);
        browser_->setTextCursor(cursor);
        browser_->verticalScrollBar()->setValue(browser_->verticalScrollBar()->maximum());  // then back up to it
        browser_->ensureCursorVisible();
        shown_heading_ = heading;
        return true;
    }
    return true;
}

}  // namespace kvs::ui
