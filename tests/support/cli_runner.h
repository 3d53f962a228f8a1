#pragma once
// Runs the real kvscope-cli binary and captures its output, for tests of the command line.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace kvs::test {

struct CliResult {
    int exit_code = -1;
    QString out;
    QString err;
};

inline CliResult run_cli(const QStringList& args, int timeout_ms = 300000) {
    QProcess p;
    p.start(QString::fromUtf8(KVSCOPE_CLI_PATH), args);
    CliResult r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        r.err = "timed out";
        return r;
    }
    r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace kvs::test
