#include "view_factory.h"

#include "main_window.h"
#include "run_data.h"
#include "step_table_view.h"
#include "token_stream_view.h"

namespace kvs::ui {

void add_standard_views(MainWindow& window, RunData& run) {
    // Tabs of the central area (the chart views go here).
    window.addView(QObject::tr("Steps"), new StepTableView(&run));

    // The token stream stays visible under every tab.
    window.addDockView(QObject::tr("Tokens"), new TokenStreamView(&run), Qt::BottomDockWidgetArea);
}

}  // namespace kvs::ui
