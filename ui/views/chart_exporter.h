#pragma once
// Charts and views to files: PNG (raster), SVG (QSvgGenerator, vector) and PDF (QPdfWriter,
// vector), and the run's events to JSON Lines and CSV. export_all() works headless (offscreen
// platform): it builds every view on the given run, renders it at a fixed size and writes the
// lot into one folder.
#include <QSize>
#include <QString>
#include <QStringList>
#include <vector>

#include "kv_snapshot.h"

class QWidget;

namespace kvs::ui {

class RunData;

enum class ExportFormat { Png, Svg, Pdf };
// The format a file name asks for (by suffix, case-insensitive); Png when unknown.
ExportFormat export_format_for(const QString& path);

// Renders `widget` as it is laid out now into `path`, without its controls (check boxes,
// lists, "?" labels: see mark_as_control). Returns an empty string or the error.
QString export_widget(QWidget* widget, const QString& path, ExportFormat format);

// Every event as one JSON object per line (engine/session/event_json.h).
QString export_events_jsonl(const RunData& run, const QString& path);
// The CSV tables (steps, kv, attention, op_costs, blocks, pool, memory, prefix_hits) in `dir`
// (engine/session/event_csv.h).
QString export_events_csv(const RunData& run, const QString& dir);

struct ExportOptions {
    QSize size{1400, 900};                // every view is rendered at this size
    QList<ExportFormat> formats{ExportFormat::Png, ExportFormat::Svg, ExportFormat::Pdf};
    std::vector<KvSnapshot> snapshots;    // cache contents for the cache inspector (optional)
    bool kv_projections = false;          // the KV chart's comparison with real models, as on screen
    bool kv_stacked = true;               // the KV chart's bands per layer, as on screen
    bool events = true;                   // also write events.jsonl and the CSV tables
};

struct ExportResult {
    QStringList files;  // written, in order
    QString error;      // empty on success
    bool ok() const { return error.isEmpty(); }
};

// Writes kv_memory, attention, compute, block_pool, pool_memory, cache_inspector (when snapshots
// are given) and memory_calculator in every requested format, plus the event files, into `dir`
// (created).
ExportResult export_all(RunData& run, const QString& dir, const ExportOptions& options = {});

}  // namespace kvs::ui
