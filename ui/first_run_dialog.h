#pragma once
// Shown when no model was given and the default one (stories260K) is not on disk: offers a
// synthetic model or a file, and says where real models come from.
#include <QDialog>

class QComboBox;

namespace kvs::ui {

class FirstRunDialog : public QDialog {
    Q_OBJECT
public:
    enum class Choice { None, Synthetic, OpenFile };
    explicit FirstRunDialog(QWidget* parent = nullptr);

    Choice choice() const { return choice_; }
    QString preset() const;

    static QString downloadHelp();  // the how-to-get-models text (also in docs/GUI.md)

private:
    QComboBox* presets_;
    Choice choice_ = Choice::None;
};

}  // namespace kvs::ui
