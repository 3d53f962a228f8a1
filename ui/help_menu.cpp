#include "help_menu.h"

#include <QApplication>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

#include "docs_browser.h"

namespace kvs::ui {

QString about_text() {
    return QObject::tr("<h3>kvscope %1</h3>"
                       "<p>See what the KV cache does while a transformer language model generates: cache memory "
                       "as it grows, the block pool, attention maps, prefill against decode FLOPs, step by step.</p>"
                       "<p>Runs Llama-family and GPT-2-family models (llama2.c checkpoints, GGUF, Hugging Face "
                       "folders) on two backends: the CPU (Eigen, the reference) and Vulkan compute shaders.</p>"
                       "<p>Qt %2 (built with %3).</p>"
                       "<p>Help &gt; Documentation has a page for every view; the ? button of a view opens its "
                       "section.</p>")
        .arg(QApplication::applicationVersion().isEmpty() ? QStringLiteral("(development build)")
                                                          : QApplication::applicationVersion())
        .arg(QString::fromLatin1(qVersion()))
        .arg(QStringLiteral(QT_VERSION_STR));
}

void add_help_menu(QWidget& window, QMenuBar* bar) {
    QWidget* w = &window;
    auto* help = bar->addMenu(QObject::tr("&Help"));
    auto* views = help->addAction(QObject::tr("&Documentation: the views"));
    views->setShortcut(QKeySequence::HelpContents);
    QObject::connect(views, &QAction::triggered, w, [w] { DocsBrowser::showSection(w, "VIEWS.md"); });
    auto* gui = help->addAction(QObject::tr("Documentation: using the &window"));
    QObject::connect(gui, &QAction::triggered, w, [w] { DocsBrowser::showSection(w, "GUI.md"); });
    auto* kv = help->addAction(QObject::tr("Documentation: the &KV cache"));
    QObject::connect(kv, &QAction::triggered, w, [w] { DocsBrowser::showSection(w, "KV_CACHE.md"); });

    auto* shortcuts = help->addAction(QObject::tr("Keyboard &shortcuts"));
    QObject::connect(shortcuts, &QAction::triggered, w, [w] {
        auto* box = new QMessageBox(
            QMessageBox::Information, QObject::tr("Keyboard shortcuts"),
            QObject::tr("F5  Prefill\nF10  Step\nF8 / Space  Run / Pause\nCtrl+R  Reset\n"
                        "[ / ]  Slower / faster pace\nF11  Present the current chart (Esc leaves)\n"
                        "Ctrl+O  Open model file\nCtrl+Shift+O  Open Hugging Face folder\n"
                        "Ctrl+E  Export this view\nCtrl+Alt+E  Export this view at a size and dpi\n"
                        "Ctrl+Shift+E  Export every chart\nF1  Documentation\nCtrl+Q  Quit\n\n"
                        "Attention heatmap: wheel or + / -  zoom, drag or arrows  pan, 0 or double-click  fit\n"
                        "Ops of one token: Left / Right  previous / next op"),
            QMessageBox::Close, w);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    help->addSeparator();
    auto* about = help->addAction(QObject::tr("&About kvscope"));
    about->setMenuRole(QAction::AboutRole);
    QObject::connect(about, &QAction::triggered, w, [w] { QMessageBox::about(w, QObject::tr("About kvscope"), about_text()); });
    auto* about_qt = help->addAction(QObject::tr("About &Qt"));
    about_qt->setMenuRole(QAction::AboutQtRole);
    QObject::connect(about_qt, &QAction::triggered, w, [w] { QMessageBox::aboutQt(w); });
}

}  // namespace kvs::ui
