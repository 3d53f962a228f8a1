// export_all on a synthetic run: valid PNG, SVG, PDF files with real content, and event files
// whose rows match the run. Set KVSCOPE_EXPORT_KEEP=DIR to keep the files for a look.
#include <QFile>
#include <QImage>
#include <QSet>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include "run_data.h"
#include "session/event_csv.h"
#include "synthetic_run.h"
#include "views/chart_exporter.h"

using namespace kvs;
using namespace kvs::ui;

namespace {

int distinct_colors(const QImage& image) {
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3) colors.insert(image.pixel(x, y));
    return int(colors.size());
}

QByteArray read_all(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestChartExport : public QObject {
    Q_OBJECT
private slots:
    void exportsEveryViewAndTheEvents();
    void reportsAnUnwritableFolder();
};

void TestChartExport::exportsEveryViewAndTheEvents() {
    const auto run = test::make_synthetic_run();
    RunData data;
    for (const auto& batch : run.batches) data.append(batch);
    data.append(run.finish);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QByteArray keep = qgetenv("KVSCOPE_EXPORT_KEEP");
    const QString dir = keep.isEmpty() ? tmp.path() : QString::fromLocal8Bit(keep);

    ExportOptions options;
    KvSnapshot snap;
    snap.layer = 1;
    snap.kv_head = 2;
    snap.length = 54;
    snap.head_dim = 8;
    for (int i = 0; i < 54 * 8; ++i) {
        snap.keys.push_back(std::sin(0.1f * float(i)));
        snap.values.push_back(std::cos(0.37f * float(i)));
    }
    options.snapshots.push_back(snap);
    const ExportResult result = export_all(data, dir, options);
    QVERIFY2(result.ok(), qPrintable(result.error));

    const QStringList views = {"kv_memory", "attention", "compute", "cache_layer1_kvhead2", "memory_calculator"};
    for (const QString& name : views) {
        const QString png = dir + "/" + name + ".png";
        QVERIFY2(result.files.contains(png), qPrintable(png));
        QImage image(png);
        QVERIFY2(!image.isNull(), qPrintable(png));
        QCOMPARE(image.size(), name == "memory_calculator" ? QSize(1100, 600) : options.size);
        // A chart, not an empty canvas: many colours (lines, heatmaps, antialiased text).
        QVERIFY2(distinct_colors(image) > 20, qPrintable(name + ": " + QString::number(distinct_colors(image))));

        QXmlStreamReader xml(read_all(dir + "/" + name + ".svg"));
        QVERIFY(xml.readNextStartElement());
        QCOMPARE(xml.name().toString(), QString("svg"));
        int elements = 0;
        while (!xml.atEnd()) {
            if (xml.readNext() == QXmlStreamReader::StartElement) ++elements;
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY2(elements > 20, qPrintable(name));

        const QByteArray pdf = read_all(dir + "/" + name + ".pdf");
        QVERIFY(pdf.startsWith("%PDF-"));
        QVERIFY(pdf.size() > 1000);
    }

    // Events: one JSON line per event; the CSV tables have a header and one row per record.
    const QList<QByteArray> lines = read_all(dir + "/events.jsonl").split('\n');
    QCOMPARE(lines.size() - 1, int(data.events().size()));  // last split part is empty
    QVERIFY(lines.front().contains("\"type\":\"run_started\""));

    const auto steps = parse_csv(read_all(dir + "/steps.csv").toStdString());
    QCOMPARE(int(steps.size()), 1 + 50);
    QCOMPARE(steps[0][0], std::string("step"));
    QCOMPARE(steps[1][2], std::string("prefill"));
    QCOMPARE(steps[1][4], std::string("5"));   // n_positions of the prefill
    QCOMPARE(steps[50][3], std::string("53"));  // first_pos of the last decode step
    const auto kv = parse_csv(read_all(dir + "/kv.csv").toStdString());
    QCOMPARE(int(kv.size()), 1 + 50 * 4);
    // The last row: layer 3 after step 49, 54 positions x 1 KiB in all layers.
    QCOMPARE(kv.back()[2], std::string("3"));
    QCOMPARE(kv.back()[8], std::to_string(54 * 1024));
}

void TestChartExport::reportsAnUnwritableFolder() {
    RunData data;
    QTemporaryDir tmp;
    QFile blocker(tmp.filePath("file"));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const ExportResult result = export_all(data, tmp.filePath("file/sub"));
    QVERIFY(!result.ok());
    QVERIFY2(result.error.contains("file/sub"), qPrintable(result.error));
}

QTEST_MAIN(TestChartExport)
#include "test_chart_export.moc"
