#include "views/chart_exporter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QLayout>
#include <QPointer>
#include <QWidget>
#include <functional>
#include <memory>

#include "run_data.h"
#include "session/event_csv.h"
#include "session/event_json.h"
#include "views/attention_view.h"
#include "views/cache_inspector_view.h"
#include "views/compute_view.h"
#include "views/block_pool_view.h"
#include "views/kv_memory_view.h"
#include "views/pool_memory_view.h"
#include "views/memory_calculator_view.h"
#include "views/view_help.h"

namespace kvs::ui {

ExportFormat export_format_for(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == "svg") return ExportFormat::Svg;
    if (suffix == "pdf") return ExportFormat::Pdf;
    return ExportFormat::Png;
}

namespace {

// Lays out a widget tree now, including the charts' scenes, which lay themselves out later.
void settle(QWidget* root) {
    QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    if (root->layout()) root->layout()->activate();
    QCoreApplication::processEvents();
}

// While alive, the view's controls (see mark_as_control) are hidden and the rest laid out
// without them: an exported picture is the chart alone, as on screen.
class ControlsHidden {
public:
    explicit ControlsHidden(QWidget* root) : root_(root) {
        for (QWidget* w : root->findChildren<QWidget*>())
            if (is_control(w) && w->isVisibleTo(root)) hidden_.push_back(w);
        for (QWidget* w : hidden_) w->hide();
        if (!hidden_.empty()) settle(root_);
    }
    ~ControlsHidden() {
        for (QWidget* w : hidden_) w->show();
        if (!hidden_.empty()) settle(root_);
    }

private:
    QWidget* root_;
    std::vector<QPointer<QWidget>> hidden_;
};

}  // namespace

QString export_widget(QWidget* widget, const QString& path, ExportFormat format) {
    const ControlsHidden controls(widget);
    const QSize size = widget->size();
    if (size.isEmpty()) return QObject::tr("cannot export '%1': the view has no size").arg(path);
    switch (format) {
        case ExportFormat::Png: {
            QImage image(size, QImage::Format_ARGB32);
            image.fill(Qt::white);
            widget->render(&image);
            if (!image.save(path, "PNG")) return QObject::tr("cannot write PNG '%1'").arg(path);
            return {};
        }
        case ExportFormat::Svg: {
            QSvgGenerator svg;
            svg.setFileName(path);
            svg.setSize(size);
            svg.setViewBox(QRect(QPoint(0, 0), size));
            svg.setTitle(widget->windowTitle());
            svg.setDescription(QObject::tr("kvscope chart"));
            QPainter painter;
            if (!painter.begin(&svg)) return QObject::tr("cannot write SVG '%1'").arg(path);
            widget->render(&painter);
            painter.end();
            return QFile::exists(path) ? QString() : QObject::tr("cannot write SVG '%1'").arg(path);
        }
        case ExportFormat::Pdf: {
            QPdfWriter pdf(path);
            // One page exactly the widget's size at 72 dpi: one pixel becomes one point.
            pdf.setResolution(72);
            pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch));
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setTitle(widget->windowTitle());
            pdf.setCreator(QStringLiteral("kvscope"));
            QPainter painter;
            if (!painter.begin(&pdf)) return QObject::tr("cannot write PDF '%1'").arg(path);
            widget->render(&painter);
            painter.end();
            return {};
        }
    }
    return {};
}

QString export_events_jsonl(const RunData& run, const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
    for (const kvs::Event& e : run.events()) {
        const std::string line = kvs::event_to_json_line(e) + "\n";
        if (file.write(line.data(), qint64(line.size())) != qint64(line.size()))
            return QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
    }
    return {};
}

QString export_events_csv(const RunData& run, const QString& dir) {
    auto writer = kvs::CsvEventWriter::open(dir.toStdString());
    if (!writer) return QString::fromStdString(writer.message());
    for (const kvs::Event& e : run.events()) (*writer)->on_event(e);
    if (auto s = (*writer)->close(); !s) return QString::fromStdString(s.message());
    return {};
}

namespace {

const char* suffix_of(ExportFormat f) {
    switch (f) {
        case ExportFormat::Png: return "png";
        case ExportFormat::Svg: return "svg";
        case ExportFormat::Pdf: return "pdf";
    }
    return "png";
}

// Lays a view out offscreen at the export size and brings its pictures up to date.
void prepare(QWidget* view, QSize size, const std::function<void()>& refresh) {
    view->setAttribute(Qt::WA_DontShowOnScreen);
    view->resize(size);
    view->show();
    refresh();
    QCoreApplication::processEvents();
    refresh();  // again, now that the layout gave each chart its final size
}

}  // namespace

ExportResult export_all(RunData& run, const QString& dir, const ExportOptions& options) {
    ExportResult result;
    if (!QDir().mkpath(dir)) {
        result.error = QObject::tr("cannot create the export folder '%1'").arg(dir);
        return result;
    }
    const QDir out(dir);
    const auto write_all = [&](QWidget* view, const QString& name) {
        view->setWindowTitle(name);
        for (ExportFormat f : options.formats) {
            const QString path = out.filePath(name + "." + suffix_of(f));
            if (QString e = export_widget(view, path, f); !e.isEmpty()) {
                if (result.error.isEmpty()) result.error = e;
                continue;
            }
            result.files << path;
        }
    };

    {
        KvMemoryView view(&run);
        view.setProjectionsVisible(options.kv_projections);
        view.setStackedLayers(options.kv_stacked);
        prepare(&view, options.size, [&] { view.refreshNow(); });
        write_all(&view, "kv_memory");
    }
    {
        AttentionView view(&run);
        prepare(&view, options.size, [&] { view.refreshNow(); });
        write_all(&view, "attention");
    }
    {
        ComputeView view(&run);
        prepare(&view, options.size, [&] { view.refreshNow(); });
        write_all(&view, "compute");
    }
    {
        BlockPoolView view(&run);
        prepare(&view, options.size, [&] { view.refreshNow(); });
        write_all(&view, "block_pool");
    }
    {
        PoolMemoryView view(&run);
        prepare(&view, options.size, [&] { view.refreshNow(); });
        write_all(&view, "pool_memory");
    }
    for (const KvSnapshot& snapshot : options.snapshots) {
        CacheInspectorView view(&run);
        prepare(&view, options.size, [&] { view.setSnapshot(snapshot); });
        write_all(&view, QStringLiteral("cache_layer%1_kvhead%2").arg(snapshot.layer).arg(snapshot.kv_head));
    }
    {
        MemoryCalculatorView view;
        if (run.hasRun()) {
            const auto& layout = run.run().kv_layout;
            view.setShape(layout.n_layers, layout.n_kv_heads, layout.head_dim);
            view.setDtype(QString::fromLatin1(kvs::to_string(layout.dtype)));
            view.setBatch(layout.batch);
            if (!run.kvPoints().empty()) view.setTokens(std::max(1, run.kvPoints().back().positions));
        }
        prepare(&view, QSize(1100, 600), [] {});
        write_all(&view, "memory_calculator");
    }
    if (options.events) {
        const QString jsonl = out.filePath("events.jsonl");
        if (QString e = export_events_jsonl(run, jsonl); !e.isEmpty() && result.error.isEmpty())
            result.error = e;
        else
            result.files << jsonl;
        if (QString e = export_events_csv(run, dir); !e.isEmpty() && result.error.isEmpty())
            result.error = e;
        else
            for (const char* name : {"steps.csv", "kv.csv", "attention.csv", "op_costs.csv", "blocks.csv", "pool.csv",
                                     "memory.csv", "prefix_hits.csv"})
                result.files << out.filePath(name);
    }
    return result;
}

}  // namespace kvs::ui
