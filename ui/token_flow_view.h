#pragma once
// The token chips of a run laid out like text: left to right, wrapping at the viewport's width.
// A run adds tokens at the end only, so the layout grows by placing the new chips after the
// last one; chip sizes are measured once, when a token arrives. Nothing already placed moves
// until the width changes, and painting visits only the chips in view. So the cost of a new
// token does not depend on how many came before it (a list view with wrapping lays the whole
// stream out again on every insertion).
#include <QAbstractScrollArea>
#include <QPointer>
#include <vector>

class QAbstractItemDelegate;
class QAbstractItemModel;
class QTimer;

namespace kvs::ui {

class TokenFlowView : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit TokenFlowView(QWidget* parent = nullptr);

    // A list model (one row per token); the delegate paints and sizes each chip.
    void setModel(QAbstractItemModel* model);
    void setItemDelegate(QAbstractItemDelegate* delegate);
    QAbstractItemModel* model() const { return model_; }

    // Where chip `row` is, in viewport coordinates (invalid when out of range).
    QRect visualRect(int row) const;
    // The chip under a viewport point, or -1.
    int rowAt(const QPoint& point) const;
    void scrollTo(int row);
    void scrollToBottom();

    // Chips measured and placed so far: what the layout cost. Appending n tokens places n chips;
    // only a new width (or a model reset) places them all again.
    qint64 chipsPlaced() const { return chips_placed_; }

signals:
    void clicked(int row);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    bool viewportEvent(QEvent* event) override;

private:
    void relayoutAll();
    bool measure(int first, int last);  // true when the lines became taller
    void place(int first);
    void updateScrollRange();
    QRect contentRect(int row) const;  // in content coordinates
    void scrollToBottomLater();

    QPointer<QAbstractItemModel> model_;
    QAbstractItemDelegate* delegate_ = nullptr;
    std::vector<QSize> sizes_;    // measured chip sizes, one per row
    std::vector<QPoint> origins_; // top-left of each placed chip, content coordinates
    int line_height_ = 0;         // the tallest chip: every line is this tall
    int placed_width_ = -1;       // the width the chips were placed for
    int hovered_ = -1;
    QTimer* repaint_ = nullptr;  // coalesces the repaints of a fast stream
    bool follow_ = false;        // scroll to the end at the next repaint
    qint64 chips_placed_ = 0;
    static constexpr int kSpacing = 2;
};

}  // namespace kvs::ui
