#pragma once
// The documentation inside the app: docs/*.md rendered as rich text (Qt reads Markdown), opened
// at a section. A view's "?" button opens its section of VIEWS.md; Help > Documentation opens
// the pages. The pages are read from the documentation folder: KVSCOPE_DOCS_DIR when set, else
// share/doc/kvscope beside the executable, else the docs/ of the source tree it was built from.
#include <QDialog>

class QTextBrowser;

namespace kvs::ui {

class DocsBrowser : public QDialog {
    Q_OBJECT
public:
    // The folder the pages are read from; empty when none is found.
    static QString docsDir();
    // Opens (or raises) the one browser of the application at `heading` of `page` (a file name
    // such as "VIEWS.md"). Returns false, and says why in the browser, when the page is missing.
    static bool showSection(QWidget* from, const QString& page, const QString& heading = {});
    static DocsBrowser* instance() { return instance_; }

    bool openPage(const QString& page, const QString& heading);
    QTextBrowser* browser() const { return browser_; }
    // The heading the view was scrolled to last (empty when none matched).
    QString shownHeading() const { return shown_heading_; }

private:
    explicit DocsBrowser(QWidget* parent);
    ~DocsBrowser() override;

    QTextBrowser* browser_;
    QString shown_heading_;
    static DocsBrowser* instance_;
};

}  // namespace kvs::ui
