#pragma once
// Runs the real kvscope-cli binary and captures its output, for tests of the command line.
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include "test_paths.h"

namespace kvs::test {

struct CliResult {
    int exit_code = -1;
    QString out;
    QString err;
};

// Changes to the test's own environment for one run: variables to set, and names to remove.
struct CliEnvironment {
    QList<QPair<QString, QString>> set;
    QStringList unset;
};

inline CliResult run_cli(const QStringList& args, const CliEnvironment& changes = {}, int timeout_ms = 300000) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto& [name, value] : changes.set) env.insert(name, value);
    for (const QString& name : changes.unset) env.remove(name);
    p.setProcessEnvironment(env);
    p.start(QString::fromUtf8(KVSCOPE_CLI_PATH), args);
    CliResult r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// `generate` of stories260K's known greedy run ("Once upon a time", temperature 0), plus `extra`.
inline QStringList stories_greedy_generate_args(const QStringList& extra = {}) {
    return QStringList{"generate", "--model", QString::fromStdString(stories260k_bin()), "--tokenizer",
                       QString::fromStdString(stories260k_tokenizer()), "--prompt", kStoriesPrompt, "--temperature",
                       "0"} +
           extra;
}

}  // namespace kvs::test
