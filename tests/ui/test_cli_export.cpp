// `kvscope-cli export` run as a user would: as a separate process with no display and no
// QT_QPA_PLATFORM (the command picks the offscreen platform itself). The files it writes are
// checked for what they must hold: PNG/SVG/PDF signatures and structure, pictures with real
// content, one JSON object per event, CSV tables with a header and a row per step or layer.
// The command runs in the companion executable kvscope-cli-gui, which kvscope-cli hands it to:
// kvscope-cli itself must not load Qt.
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include "cli_runner.h"
#include "test_paths.h"

namespace {

// As a user runs it: no display and no platform chosen; the command must pick offscreen itself.
kvs::test::CliResult run_cli(const QStringList& args) {
    return kvs::test::run_cli(args, {{}, {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}});
}

QByteArray read_all(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList lines_of(const QString& path) {
    QStringList lines = QString::fromUtf8(read_all(path)).split('\n');
    if (!lines.isEmpty() && lines.back().isEmpty()) lines.pop_back();
    return lines;
}

int distinct_colors(const QImage& image) {
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4) colors.insert(image.pixel(x, y));
    return int(colors.size());
}

}  // namespace

class TestCliExport : public QObject {
    Q_OBJECT
private slots:
    void stories260kChartsAndEvents();
    void syntheticPresetWithChosenFormats();
    void badOptionsAreExplained();
    void onlyTheCompanionLinksQt();
    void aMissingCompanionIsExplained();
};

void TestCliExport::stories260kChartsAndEvents() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString out = tmp.filePath("charts");
    const kvs::test::CliResult r = run_cli({"export", "--model", QString::fromStdString(kvs::test::stories260k_bin()), "--tokenizer",
                              QString::fromStdString(kvs::test::stories260k_tokenizer()), "--prompt",
                              kvs::test::kStoriesPrompt, "-n", "20", "--temperature", "0", "--size", "1200x800",
                              "--out", out});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QDir dir(out);

    // Every chart in every format; stdout lists what was written.
    for (const char* chart : {"kv_memory", "attention", "compute", "cache_layer0_kvhead0", "cache_layer4_kvhead0",
                              "memory_calculator"}) {
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString path = dir.filePath(QStringLiteral("%1.%2").arg(chart, suffix));
            QVERIFY2(QFileInfo(path).size() > 1000, qPrintable(path));
            QVERIFY2(r.out.contains(QDir::cleanPath(path)), qPrintable(path));
        }
        const QString png = dir.filePath(QStringLiteral("%1.png").arg(chart));
        QVERIFY(read_all(png).startsWith("\x89PNG\r\n\x1a\n"));
        const QImage image(png);
        QVERIFY2(!image.isNull(), qPrintable(png));
        if (QString(chart) != "memory_calculator") QCOMPARE(image.size(), QSize(1200, 800));
        QVERIFY2(distinct_colors(image) > 20, qPrintable(png));  // drawn charts, not a blank page

        QXmlStreamReader svg(read_all(dir.filePath(QStringLiteral("%1.svg").arg(chart))));
        QVERIFY(svg.readNextStartElement());
        QCOMPARE(svg.name().toString(), QString("svg"));
        // Drawn shapes and images (the heatmaps are images), not an empty page.
        int drawn = 0;
        while (!svg.atEnd())
            if (svg.readNext() == QXmlStreamReader::StartElement &&
                (svg.name() == QLatin1String("path") || svg.name() == QLatin1String("image") ||
                 svg.name() == QLatin1String("polyline")))
                ++drawn;
        QVERIFY2(!svg.hasError(), qPrintable(svg.errorString()));
        QVERIFY2(drawn > 3, chart);
        // The chart alone: none of the view's controls.
        const QByteArray svg_text = read_all(dir.filePath(QStringLiteral("%1.svg").arg(chart)));
        for (const char* control : {"Stack per layer", "Compare with real models", "Refresh", "Attention maps"})
            QVERIFY2(!svg_text.contains(control), qPrintable(QString("%1 shows '%2'").arg(chart, control)));

        const QByteArray pdf = read_all(dir.filePath(QStringLiteral("%1.pdf").arg(chart)));
        QVERIFY(pdf.startsWith("%PDF-"));
        QVERIFY(pdf.trimmed().endsWith("%%EOF"));
    }

    // 20 new tokens: the prefill samples the first, 19 decode steps the rest.
    const QStringList steps = lines_of(dir.filePath("steps.csv"));
    QVERIFY(steps.value(0).startsWith("step,sequence,phase,first_pos,n_positions"));
    QCOMPARE(steps.size(), 1 + 20);
    QVERIFY(steps.value(1).startsWith("0,0,prefill,0,5,"));
    QVERIFY(steps.value(20).startsWith("19,0,decode,23,1,"));
    const QStringList kv = lines_of(dir.filePath("kv.csv"));
    QVERIFY(kv.value(0).startsWith("step,sequence,layer,"));
    QCOMPARE(kv.size(), 1 + 20 * 5);  // a row per step and layer (5 layers)
    QVERIFY(lines_of(dir.filePath("op_costs.csv")).size() > 20 * 5);
    QVERIFY(lines_of(dir.filePath("attention.csv")).size() > 20 * 5 * 8);

    // One JSON object per event: RunStarted first, RunFinished last, a StepFinished per step.
    const QStringList events = lines_of(dir.filePath("events.jsonl"));
    QVERIFY(events.size() > 20);
    int step_finished = 0;
    for (const QString& line : events) {
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), qPrintable(line.left(200)));
        step_finished += doc.object().value("type").toString() == "step_finished";
    }
    QCOMPARE(step_finished, 20);
    QCOMPARE(QJsonDocument::fromJson(events.first().toUtf8()).object().value("type").toString(), QString("run_started"));
    QCOMPARE(QJsonDocument::fromJson(events.last().toUtf8()).object().value("type").toString(), QString("run_finished"));
}

void TestCliExport::syntheticPresetWithChosenFormats() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const kvs::test::CliResult r = run_cli({"export", "--synthetic", "stories260k", "--layers", "2", "--prompt", "Hi", "-n", "6",
                              "--formats", "svg,png", "--no-events", "--out", tmp.path()});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QDir dir(tmp.path());
    QStringList files = dir.entryList(QDir::Files, QDir::Name);
    QCOMPARE(files, (QStringList{"attention.png", "attention.svg", "block_pool.png", "block_pool.svg",
                                 "cache_layer0_kvhead0.png", "cache_layer0_kvhead0.svg", "cache_layer1_kvhead0.png",
                                 "cache_layer1_kvhead0.svg", "compute.png", "compute.svg", "kv_memory.png",
                                 "kv_memory.svg", "memory_calculator.png", "memory_calculator.svg", "pool_memory.png",
                                 "pool_memory.svg"}));
    QCOMPARE(QImage(dir.filePath("kv_memory.png")).size(), QSize(1400, 900));
}

void TestCliExport::badOptionsAreExplained() {
    QTemporaryDir tmp;
    kvs::test::CliResult r = run_cli({"export", "--synthetic", "stories260k", "--out", tmp.path(), "--formats", "gif"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--formats") && r.err.contains("gif"), qPrintable(r.err));
    r = run_cli({"export", "--synthetic", "stories260k"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--out"), qPrintable(r.err));
    r = run_cli({"export", "--synthetic", "stories260k", "--out", tmp.path(), "--size", "10x10"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--size"), qPrintable(r.err));
}

// The dynamic linker loads the libraries a binary names in its dynamic section, so a binary
// that loads Qt carries the names of Qt's libraries ("libQt6Core.so.6") in its file.
void TestCliExport::onlyTheCompanionLinksQt() {
    const QString cli = QString::fromUtf8(KVSCOPE_CLI_PATH);
    const QByteArray cli_bytes = read_all(cli);
    QVERIFY(cli_bytes.size() > 100000);
    QVERIFY(!cli_bytes.contains("libQt6"));
    const QByteArray companion = read_all(QFileInfo(cli).dir().filePath("kvscope-cli-gui"));
    QVERIFY(companion.contains("libQt6Widgets.so.6"));
    // The commands are listed and run as before.
    kvs::test::CliResult r = run_cli({"--help"});
    QCOMPARE(r.exit_code, 0);
    for (const char* command : {"  export ", "  bench-gui ", "  generate ", "  soak "})
        QVERIFY2(r.err.contains(command), qPrintable(r.err));
    r = run_cli({"export", "--help"});
    QCOMPARE(r.exit_code, 0);
    QVERIFY2(r.out.contains("--formats"), qPrintable(r.out));
}

void TestCliExport::aMissingCompanionIsExplained() {
    QTemporaryDir alone;
    const QString copy = alone.filePath("kvscope-cli");
    QVERIFY(QFile::copy(QString::fromUtf8(KVSCOPE_CLI_PATH), copy));
    QProcess p;
    p.start(copy, {"export", "--synthetic", "stories260k", "--out", alone.filePath("charts")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains("kvscope-cli export:") && err.contains(alone.filePath("kvscope-cli-gui")), qPrintable(err));
    QVERIFY(!QDir(alone.filePath("charts")).exists());
}

QTEST_GUILESS_MAIN(TestCliExport)
#include "test_cli_export.moc"
