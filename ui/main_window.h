#pragma once
#include <QMainWindow>

namespace kvs::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace kvs::ui
