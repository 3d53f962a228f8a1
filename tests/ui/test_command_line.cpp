// The desktop app's command line.
#include <QTest>

#include "command_line.h"
#include "human_units.h"

using namespace kvs::ui;

class TestCommandLine : public QObject {
    Q_OBJECT
private slots:
    void defaults() {
        CommandLineOptions o;
        QString error;
        QVERIFY(parse_command_line({"kvscope"}, o, error));
        QCOMPARE(o.prompt, QString("Once upon a time"));
        QCOMPARE(o.backend, QString("cpu"));
        QVERIFY(o.model.isEmpty() && o.synthetic.isEmpty() && o.screenshot_dir.isEmpty());
    }
    void allOptions() {
        CommandLineOptions o;
        QString error;
        QVERIFY2(parse_command_line({"kvscope", "--model", "/m/x.bin", "--tokenizer", "/m/t.bin", "--prompt", "Hi there",
                                     "--backend", "Vulkan", "--max-new", "12", "--screenshot", "/tmp/s"},
                                    o, error),
                 qPrintable(error));
        QCOMPARE(o.model, QString("/m/x.bin"));
        QCOMPARE(o.tokenizer, QString("/m/t.bin"));
        QCOMPARE(o.prompt, QString("Hi there"));
        QCOMPARE(o.backend, QString("vulkan"));
        QCOMPARE(o.max_new, 12);
        QCOMPARE(o.screenshot_dir, QString("/tmp/s"));
        CommandLineOptions s;
        QVERIFY(parse_command_line({"kvscope", "--synthetic", "llama-2-7b", "--layers", "2"}, s, error));
        QCOMPARE(s.synthetic, QString("llama-2-7b"));
        QCOMPARE(s.layers, 2);
        QCOMPARE(s.screenshot_scenario, ScreenshotScenario::Views);
        CommandLineOptions d;
        QVERIFY(parse_command_line({"kvscope", "--screenshot", "/tmp/s", "--screenshot-debugger"}, d, error));
        QCOMPARE(d.screenshot_scenario, ScreenshotScenario::Debugger);
        CommandLineOptions l;
        QVERIFY(parse_command_line({"kvscope", "--screenshot", "/tmp/s", "--screenshot-lecture"}, l, error));
        QCOMPARE(l.screenshot_scenario, ScreenshotScenario::Lecture);
    }
    void errorsSayWhatIsWrong() {
        CommandLineOptions o;
        QString error;
        QVERIFY(!parse_command_line({"kvscope", "--backend", "metal"}, o, error));
        QVERIFY2(error.contains("cpu or vulkan") && error.contains("metal"), qPrintable(error));
        QVERIFY(!parse_command_line({"kvscope", "--model", "a", "--synthetic", "b"}, o, error));
        QVERIFY(error.contains("exclude"));
        QVERIFY(!parse_command_line({"kvscope", "--layers", "-3"}, o, error));
        QVERIFY(error.contains("-3"));
        QVERIFY(!parse_command_line({"kvscope", "model.bin"}, o, error));
        QVERIFY(error.contains("model.bin"));
        QVERIFY(!parse_command_line({"kvscope", "--screenshot", "s", "--screenshot-debugger", "--screenshot-lecture"}, o,
                                    error));
        QVERIFY2(error.contains("--screenshot-debugger") && error.contains("--screenshot-lecture"), qPrintable(error));
        QVERIFY(!parse_command_line({"kvscope", "--frobnicate"}, o, error));
        QVERIFY(error.contains("frobnicate"));
    }
    void humanUnits() {
        QCOMPARE(human_bytes(512), QString("512 B"));
        QCOMPARE(human_bytes(2048), QString("2.00 KiB"));
        QCOMPARE(human_bytes(327680), QString("320 KiB"));
        QCOMPARE(human_bytes(1342177280), QString("1.25 GiB"));
        QCOMPARE(human_count(260000), QString("260K"));
        QCOMPARE(human_count(6.74e9), QString("6.74B"));
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "test_command_line.moc"
